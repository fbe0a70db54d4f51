/**
 * Talking to an RFC 3161 timestamp authority over HTTP(S) (RFC 3161 3.4). What is asked, and what an answer
 * must hold, is src/audit/timestamp.ts's: the core stays off the network.
 */

/** A TSA's URL as shown and stored: no user name, password, query or fragment, which may hold a secret. */
export function shownUrl(url: string): string {
  const { protocol, host, pathname } = new URL(url);
  return `${protocol}//${host}${pathname}`;
}

/** A TSA's answer is a few KiB; more is not an answer. */
const MAX_RESPONSE = 1 << 20;

/**
 * POSTs a timestamp query and returns the answer's bytes. Failures are worded to follow the TSA's name: no
 * answer within `timeout` seconds, no connection, an HTTP error, an answer too large to be one.
 */
export async function post(url: string, query: Buffer, timeout: number): Promise<Buffer> {
  // A TSA that wants a login takes it in the URL (https://user:password@host/); fetch takes it as a header.
  const target = new URL(url);
  const headers: Record<string, string> = {
    'content-type': 'application/timestamp-query',
    accept: 'application/timestamp-reply',
  };
  if (target.username || target.password) {
    const login = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers.authorization = `Basic ${Buffer.from(login).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers,
      body: query,
      redirect: 'error',
      signal: AbortSignal.timeout(timeout * 1000),
    });
  } catch (error) {
    const { name, cause } = error as Error & { cause?: { code?: string; message?: string } };
    if (name === 'TimeoutError') throw new Error(`did not answer within ${timeout} s`);
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new Error(`cannot be reached (${why.replaceAll(target.href, shownUrl(url))})`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`answered HTTP ${response.status}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.length;
      // Leaving the loop by throwing cancels the stream.
      if (size > MAX_RESPONSE)
        throw new Error(`answered more than ${MAX_RESPONSE} bytes: not a timestamp response`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    if (size > MAX_RESPONSE) throw error;
    throw new Error(
      (error as Error).name === 'TimeoutError'
        ? `did not answer within ${timeout} s`
        : `broke off its answer (${(error as Error).message})`,
    );
  }
  return Buffer.concat(chunks);
}
