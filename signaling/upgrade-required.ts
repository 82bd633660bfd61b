import type { ServerResponse } from 'node:http';

/**
 * What a plain HTTP request to the signaling path gets — someone opening the `ws://` URL as
 * a page: 426 Upgrade Required, and how to connect.
 */
export function answerUpgradeRequired(response: ServerResponse, path: string): void {
  response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
  response.end(`Peerlane signaling: connect with a WebSocket to ${path}\n`);
}
