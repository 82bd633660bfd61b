import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // WebRTC and real servers share two cores: keep files from starving each other.
    maxWorkers: 2,
  },
});
