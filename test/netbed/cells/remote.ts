import type { Page } from 'playwright-core';
import type { Remote } from '../../e2e/harness/test-page.js';

/**
 * The API a bed page set as `window[global]`, called from Node: each method runs in the
 * page through `page.evaluate`; errors name the page and the method.
 */
export function remote<Api>(page: Page, global: string, name: string): Remote<Api> {
  return new Proxy({} as Remote<Api>, {
    get: (_, method) =>
      typeof method !== 'string' || method === 'then'
        ? undefined
        : async (...args: unknown[]) => {
            try {
              return await page.evaluate(
                ({ global, method, args }) => {
                  const api = (window as unknown as Record<string, Record<string, unknown>>)[
                    global
                  ];
                  const fn = api?.[method];
                  if (typeof fn !== 'function')
                    throw new Error(`the page has no ${global}.${method}`);
                  return fn.apply(api, args);
                },
                { global, method, args },
              );
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              throw new Error(`[${name}] ${method}(): ${message}`, { cause: error });
            }
          },
  });
}
