/**
 * Reads a Server-Sent Events body message by message, as a browser's
 * EventSource would.
 */

/** One message: its `event:` name (`message` by default) and its `data:`. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

/** Reads messages from an event stream; cancel it when done. */
export class SseReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  /** Where the unread part of the buffer starts. */
  #at = 0;

  /** @param body A `text/event-stream` response body. */
  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * The next message with data, skipping `retry:` and comment lines.
   *
   * @returns The message, or `null` when the stream ended.
   */
  async next(): Promise<SseMessage | null> {
    for (;;) {
      const end = this.#buffer.indexOf("\n\n", this.#at);
      if (end >= 0) {
        const block = this.#buffer.slice(this.#at, end);
        this.#at = end + 2;
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length > 0) return { event, data: data.join("\n") };
        continue;
      }
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buffer = this.#buffer.slice(this.#at) + value;
      this.#at = 0;
    }
  }

  /** Stops reading and lets go of the stream. */
  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}
