import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './redis.js';

/** Debian's coturn on loopback with `use-auth-secret`, as the testing guide sets it up. */
export interface CoturnProcess {
  port: number;
  secret: string;
  /** `turn:127.0.0.1:PORT?transport=udp`. */
  url: string;
  stop(): Promise<void>;
}

export async function startCoturn(
  secret = 'coturn-test-secret-0123456789',
): Promise<CoturnProcess> {
  const port = await freePort();
  const relayBase = 50_000 + Math.floor(Math.random() * 100) * 100;
  const child: ChildProcess = spawn(
    'turnserver',
    [
      '-n',
      '--no-cli',
      '--log-file=stdout',
      '--simple-log',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${relayBase}`,
      `--max-port=${relayBase + 99}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=peerlane.test',
      '--no-tls',
      '--no-dtls',
      '--allow-loopback-peers',
      '--fingerprint',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`turnserver did not start: ${output.slice(-500)}`)),
      10_000,
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run turnserver (apt-get install coturn): ${error.message}`));
    });
    const onData = (data: Buffer): void => {
      output += data;
      // coturn prints its listener setup; once the UDP listener is up it answers.
      if (
        /listener opened on\s*:\s*127\.0\.0\.1:/i.test(output) ||
        output.includes('Total General servers')
      ) {
        clearTimeout(timer);
        setTimeout(resolve, 200);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  return {
    port,
    secret,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
