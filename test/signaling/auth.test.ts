import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createRoomToken } from '../../signaling/tokens.js';
import { useSignaling } from '../helpers/signaling.js';

const secret = 'a-test-secret-that-is-long-enough-0123';
const auth = { secret };
const sdpWithVideo = (direction: string) =>
  `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=${direction}\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n`;
const dataOnlySdp = 'v=0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n';

describe('createSignalingServer', () => {
  const { start, connect } = useSignaling();

  async function joinError(token: string | undefined, room = 'r', options = {}) {
    const server = await start({ auth, ...options });
    const client = await connect(server);
    client.send({ type: 'join', room, ...(token === undefined ? {} : { token }) });
    return client.next('error');
  }

  describe('auth', () => {
    it('admits a valid token and shows its identity and permissions to the room', async () => {
      const server = await start({ auth });
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r', {
        token: await createRoomToken({ secret, room: 'r', sub: 'alice' }),
      });
      const wb = await b.join('r', {
        token: await createRoomToken({ secret, room: 'r', sub: 'bob', perms: { publish: false } }),
      });
      expect(wb.peers).toEqual([
        {
          id: wa.peerId,
          meta: {},
          identity: 'alice',
          perms: { publish: true, relay: true, broadcast: true },
        },
      ]);
      expect((await a.next('peer-joined')).peer).toEqual({
        id: wb.peerId,
        meta: {},
        identity: 'bob',
        perms: { publish: false, relay: true, broadcast: true },
      });
    });

    it('refuses a join without a token', async () => {
      expect(await joinError(undefined)).toMatchObject({
        code: 'AUTH_REQUIRED',
        message: 'this server needs a room token in join.token',
      });
    });

    it('refuses a token signed with another secret', async () => {
      const token = await createRoomToken({
        secret: 'another-secret-another-secret-0123',
        room: 'r',
      });
      expect(await joinError(token)).toMatchObject({
        code: 'TOKEN_INVALID',
        message: 'the token signature does not verify',
      });
    });

    it('refuses a token for another room, and admits a matching prefix', async () => {
      expect(await joinError(await createRoomToken({ secret, room: 'other' }))).toMatchObject({
        code: 'ROOM_NOT_ALLOWED',
        message: 'the token admits to room "other", not "r"',
      });
      const server = await start({ auth });
      const client = await connect(server);
      await client.join('team-blue', { token: await createRoomToken({ secret, room: 'team-*' }) });
    });

    it('refuses an expired token', async () => {
      const token = await createRoomToken({
        secret,
        room: 'r',
        ttlSeconds: 60,
        now: () => Date.now() - 3_600_000,
      });
      expect(await joinError(token)).toMatchObject({
        code: 'TOKEN_EXPIRED',
        message: 'the token has expired',
      });
    });

    it('refuses a token that is not valid yet', async () => {
      const token = await createRoomToken({ secret, room: 'r', notBeforeSeconds: 600 });
      expect(await joinError(token)).toMatchObject({
        code: 'TOKEN_NOT_YET_VALID',
        message: 'the token is not valid yet (nbf)',
      });
    });

    it('refuses the none algorithm, other HMAC algorithms and asymmetric algorithms', async () => {
      const claims = { room: 'r', exp: Math.floor(Date.now() / 1000) + 60 };
      const none = new UnsecuredJWT(claims).encode();
      expect(await joinError(none)).toMatchObject({ code: 'TOKEN_INVALID' });
      const hs512 = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS512' })
        .sign(new TextEncoder().encode(secret));
      expect(await joinError(hs512)).toMatchObject({
        code: 'TOKEN_INVALID',
        message: 'the token is signed with an algorithm this server does not accept',
      });
      const { privateKey } = await generateKeyPair('ES256');
      const es256 = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
      expect(await joinError(es256)).toMatchObject({ code: 'TOKEN_INVALID' });
    });

    it('refuses garbage and tokens without exp', async () => {
      expect(await joinError('not.a.jwt')).toMatchObject({
        code: 'TOKEN_INVALID',
        message: 'the token is malformed',
      });
      const noExp = await new SignJWT({ room: 'r' })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(secret));
      expect(await joinError(noExp)).toMatchObject({
        code: 'TOKEN_INVALID',
        message: 'token claim exp failed: missing',
      });
    });

    it('checks issuer and audience when configured', async () => {
      const token = await createRoomToken({
        secret,
        room: 'r',
        issuer: 'them',
        audience: 'peerlane',
      });
      expect(await joinError(token, 'r', { auth: { secret, issuer: 'us' } })).toMatchObject({
        code: 'TOKEN_INVALID',
        message: 'token claim iss failed: check_failed',
      });
      const server = await start({ auth: { secret, issuer: 'them', audience: 'peerlane' } });
      await (await connect(server)).join('r', { token });
    });

    it('refuses a room over the token maxPeers', async () => {
      const server = await start({ auth });
      const first = await connect(server);
      await first.join('r', { token: await createRoomToken({ secret, room: 'r' }) });
      const second = await connect(server);
      second.send({
        type: 'join',
        room: 'r',
        token: await createRoomToken({ secret, room: 'r', maxPeers: 1 }),
      });
      expect(await second.next('error')).toMatchObject({
        code: 'ROOM_FULL',
        message: 'room "r" is full (1 peers)',
      });
    });

    it('forbids publishing media without the publish permission, but not data or receiving', async () => {
      const server = await start({ auth });
      const [viewer, host] = await Promise.all([connect(server), connect(server)]);
      await viewer.join('r', {
        token: await createRoomToken({ secret, room: 'r', perms: { publish: false } }),
      });
      const wh = await host.join('r', { token: await createRoomToken({ secret, room: 'r' }) });
      viewer.send({
        type: 'signal',
        to: wh.peerId,
        data: { type: 'offer', sdp: sdpWithVideo('sendrecv') },
        ref: 'cam',
      });
      expect(await viewer.next('error')).toEqual({
        type: 'error',
        code: 'FORBIDDEN',
        message:
          'your room token does not allow publishing audio or video: m-section 1 (video) is a=sendrecv',
        ref: 'cam',
      });
      viewer.send({
        type: 'signal',
        to: wh.peerId,
        data: { type: 'answer', sdp: sdpWithVideo('recvonly') },
      });
      viewer.send({ type: 'signal', to: wh.peerId, data: { type: 'offer', sdp: dataOnlySdp } });
      expect((await host.next('signal')).data).toMatchObject({ type: 'answer' });
      expect((await host.next('signal')).data).toMatchObject({ type: 'offer', sdp: dataOnlySdp });
    });

    it('handles frames sent right behind a join after the token is checked, in order', async () => {
      const server = await start({ auth });
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r', { token: await createRoomToken({ secret, room: 'r' }) });
      b.send({ type: 'join', room: 'r', token: await createRoomToken({ secret, room: 'r' }) });
      b.send({ type: 'signal', to: wa.peerId, data: { type: 'offer', sdp: 'v=0' } });
      b.send({ type: 'ping', ref: 'last' });
      const wb = await b.next('welcome');
      expect((await a.next('signal')).from).toBe(wb.peerId);
      expect(await b.next('pong')).toEqual({ type: 'pong', ref: 'last' });
      expect(b.unread('error')).toEqual([]);
    });

    it('needs a valid token to resume too', async () => {
      const server = await start({ auth });
      const a = await connect(server);
      const wa = await a.join('r', { token: await createRoomToken({ secret, room: 'r' }) });
      a.kill();
      const again = await connect(server);
      again.send({ type: 'join', room: 'r', resume: { peerId: wa.peerId, secret: wa.secret } });
      expect((await again.next('error')).code).toBe('AUTH_REQUIRED');
      const ok = await again.join('r', {
        resume: { peerId: wa.peerId, secret: wa.secret },
        token: await createRoomToken({ secret, room: 'r' }),
      });
      expect(ok).toMatchObject({ peerId: wa.peerId, resumed: true });
    });

    it('rejects a weak secret at start', async () => {
      await expect(start({ auth: { secret: 'short' } })).rejects.toThrow(
        'options.auth.secret must be at least 32 characters',
      );
      await expect(start({ auth: {} })).rejects.toThrow(
        'options.auth needs exactly one of secret or jwksUrl',
      );
    });
  });

  describe('auth with a JWKS URL', () => {
    let jwks: Server | undefined;
    afterEach(() => {
      jwks?.closeAllConnections();
      jwks?.close();
    });

    it('verifies ES256 tokens with keys from the key set, and refuses others', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
      jwks = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
      await new Promise<void>((resolve) => jwks?.listen(0, '127.0.0.1', resolve));
      const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks.json`;
      const server = await start({ auth: { jwksUrl } });
      const sign = (key: CryptoKey, kid = 'k1') =>
        new SignJWT({ room: 'r', sub: 'carol' })
          .setProtectedHeader({ alg: 'ES256', kid })
          .setExpirationTime('5m')
          .sign(key);

      const good = await connect(server);
      await good.join('r', { token: await sign(privateKey) });

      const stranger = await generateKeyPair('ES256');
      const bad = await connect(server);
      bad.send({ type: 'join', room: 'r', token: await sign(stranger.privateKey) });
      expect((await bad.next('error')).code).toBe('TOKEN_INVALID');
      const hs = await connect(server);
      hs.send({ type: 'join', room: 'r', token: await createRoomToken({ secret, room: 'r' }) });
      expect((await hs.next('error')).code).toBe('TOKEN_INVALID');
    });

    it('reports AUTH_UNAVAILABLE when the key set cannot be fetched', async () => {
      jwks = createServer();
      await new Promise<void>((resolve) => jwks?.listen(0, '127.0.0.1', resolve));
      const port = (jwks.address() as { port: number }).port;
      jwks.close();
      const server = await start({ auth: { jwksUrl: `http://127.0.0.1:${port}/gone` } });
      const client = await connect(server);
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({ room: 'r' })
        .setProtectedHeader({ alg: 'ES256' })
        .setExpirationTime('5m')
        .sign(privateKey);
      client.send({ type: 'join', room: 'r', token });
      expect(await client.next('error')).toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    });
  });
});
