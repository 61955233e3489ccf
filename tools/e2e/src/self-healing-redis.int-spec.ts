import {
  eventually,
  loadDevstackEnv,
  startComponent,
  startPlatform,
  stopComponent,
  type RunningPlatform,
} from "@bulkhead/testkit";
import {
  createRestClient,
  type RestClient,
  type RestReply,
} from "./rest-client";
import {
  expectStatus,
  MANY_USERS_AUTH_ENV,
  signUp,
  type SignedUp,
} from "./tenants";

/**
 * Self-healing (issue 26, ADR 0012): Redis stopped and started again while traffic goes on
 * through the gateway, no service restarted by the test. Meanwhile a call may be refused with
 * 503, but a logged-out token never passes (revocation checks fail closed); afterwards traffic,
 * revocation checks and rate limits work again on their own.
 */

jest.setTimeout(180_000);

const devstack = loadDevstackEnv();
/** Short restart backoffs, so a recovery is seen within a second of Redis's return. */
const FAST_RESTARTS = {
  LOOP_RESTART_INITIAL_MS: "100",
  LOOP_RESTART_MAX_MS: "1000",
};

let platform: RunningPlatform;
let api: RestClient;

const me = (token: string): Promise<RestReply<unknown> | undefined> =>
  api.call("GET", "/v1/auth/me", { token }).catch(() => undefined);

beforeAll(async () => {
  platform = await startPlatform({
    services: ["auth", "org", "project", "gateway"],
    env: {
      auth: MANY_USERS_AUTH_ENV,
      gateway: { ...FAST_RESTARTS, RATE_LIMIT_RPM_BASIC: "1000000" },
    },
    readyTimeoutMs: 90_000,
  });
  api = createRestClient(platform.gatewayUrl);
}, 120_000);

afterAll(async () => {
  // Whatever failed, Redis must be there for the specs after this one.
  startComponent(devstack, "redis");
  await platform?.stop();
});

it("refuses a logged-out token throughout a Redis restart, and serves traffic with rate limits again on its own", async () => {
  const live: SignedUp = await signUp(api, "redis-live");
  const leaving: SignedUp = await signUp(api, "redis-leaving");
  expectStatus(
    await api.call("POST", "/v1/auth/logout", {
      token: leaving.tokens.accessToken,
    }),
    204,
  );
  await eventually(async () =>
    expect((await me(leaving.tokens.accessToken))?.status).toBe(401),
  );

  const statuses: number[] = [];
  const loggedOutPassed: number[] = [];
  let done = false;
  const traffic = Promise.all([
    (async () => {
      while (!done) {
        const reply = await me(live.tokens.accessToken);
        if (reply !== undefined) statuses.push(reply.status);
      }
    })(),
    (async () => {
      while (!done) {
        const reply = await me(leaving.tokens.accessToken);
        if (reply !== undefined && reply.status < 300)
          loggedOutPassed.push(reply.status);
      }
    })(),
  ]);
  try {
    stopComponent(devstack, "redis");
    // The outage is seen: the live token's calls are refused, fail closed, not served.
    await eventually(async () => expect(statuses.at(-1)).toBe(503), 30_000);
    startComponent(devstack, "redis");
    const startedAt = Date.now();
    await eventually(
      async () => expect(statuses.slice(-5)).toEqual([200, 200, 200, 200, 200]),
      10_000,
    );
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  } finally {
    done = true;
    await traffic;
  }
  expect(loggedOutPassed).toEqual([]);
  expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual(
    [],
  );

  // Revocation checks and rate limits work again, in the same processes.
  expect((await me(leaving.tokens.accessToken))?.status).toBe(401);
  const first = await me(live.tokens.accessToken);
  expect(first?.status).toBe(200);
  expect(first?.headers.get("ratelimit-limit")).toBe("1000000");
  expect(Number(first?.headers.get("ratelimit-remaining"))).toBeLessThan(
    1_000_000,
  );
  const relogged = await api.call("POST", "/v1/auth/logout", {
    token: live.tokens.accessToken,
  });
  expectStatus(relogged, 204);
  await eventually(async () =>
    expect((await me(live.tokens.accessToken))?.status).toBe(401),
  );
});
