/** One Server-Sent Event as a page's EventSource would see it. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Reads a Server-Sent Events stream with fetch, parsing it the way the spec does (fields per
 * line, events separated by a blank line, comments ignored). `events` fills as they arrive;
 * `next(predicate)` waits for the first event (already received or future) that matches.
 */
export async function openEventStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters: { test: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  let ended = false;
  const done = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    let event = 'message';
    let data: string[] = [];
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.search(/\r\n|\r|\n/)) !== -1) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
          if (line === '') {
            if (data.length > 0) {
              const e = { event, data: data.join('\n') };
              events.push(e);
              for (const w of [...waiters]) {
                if (w.test(e)) {
                  waiters.splice(waiters.indexOf(w), 1);
                  w.resolve(e);
                }
              }
            }
            event = 'message';
            data = [];
          } else if (line.startsWith(':')) continue;
          else {
            const colon = line.indexOf(':');
            const field = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
        }
      }
    } catch {
      // aborted
    } finally {
      ended = true;
    }
  })();
  return {
    response,
    events,
    get ended() {
      return ended;
    },
    next(test: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
      const found = events.find(test);
      if (found) return Promise.resolve(found);
      return new Promise<SseEvent>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching event within ${timeoutMs} ms (got ${events.map((e) => e.event).join(', ')})`)),
          timeoutMs,
        );
        waiters.push({
          test,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
    async close() {
      controller.abort();
      await done;
    },
    done,
  };
}
