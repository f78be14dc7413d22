// A counting semaphore: at most `limit` of the wrapped calls run at once, the rest wait their turn in
// order. The orchestrator's evaluation traffic to a route's stable (the eval set, the likelihood
// judge) goes through one, so it queues behind itself instead of filling the stable's slots beside
// live users.
export type Limiter = <T>(work: () => Promise<T>) => Promise<T>;

export function limiter(limit: number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}
