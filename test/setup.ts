// nock 15.0.2 (the last to support Node 20) depends on @mswjs/interceptors 0.44, which calls
// Promise.withResolvers, new in Node 22. The standard ES2024 behaviour, for Node 20 only.
if (!('withResolvers' in Promise)) {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
