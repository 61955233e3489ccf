import { closedLoop, type Scenario } from '../harness';
import { startIdentityPlatform } from './identity-platform';

const LOGINS_PER_SECOND = 5;

/**
 * Argon2id must not stall the event loop: authenticated reads (`GET /v1/auth/me`) alone
 * (baseline) vs the same reads while logins arrive at 5 per second (subject).
 */
export const loginStallScenario: Scenario = {
  name: 'login-stall',
  description: `GET /v1/auth/me throughput alone vs while ${LOGINS_PER_SECOND} Argon2id logins/s run`,
  async prepare({ durationMs, concurrency }) {
    const identity = await startIdentityPlatform();
    const read = (): Promise<void> => identity.request('GET', '/v1/auth/me', { token: identity.accessToken });
    const login = (): Promise<void> =>
      identity.request('POST', '/v1/auth/login', { body: { email: identity.email, password: identity.password } });
    return {
      baseline: { name: 'reads', run: () => closedLoop(durationMs, concurrency, read) },
      subject: {
        name: `reads + ${LOGINS_PER_SECOND} logins/s`,
        run: async () => {
          const logins: Array<Promise<void>> = [];
          const timer = setInterval(() => logins.push(login()), 1000 / LOGINS_PER_SECOND);
          try {
            return await closedLoop(durationMs, concurrency, read);
          } finally {
            clearInterval(timer);
            await Promise.all(logins);
          }
        },
      },
      target: { minRatio: 0.75, meaning: `reads with ${LOGINS_PER_SECOND} logins/s ≥ 75% of reads alone` },
      close: () => identity.platform.stop(),
    };
  },
};
