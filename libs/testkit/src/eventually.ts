/**
 * Retries `check` every 100 ms until it passes or `timeoutMs` has passed, then rethrows its
 * last failure: for effects that land "within seconds" (a revocation, a key reload).
 */
export async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
