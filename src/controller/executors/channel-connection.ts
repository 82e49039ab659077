/** The executor's end of a channel as the registry needs it (a WebSocket, adapted). */
export interface ChannelConnection {
  readonly remoteAddress: string;
  /** Returns false when the connection is not open. */
  send(text: string): boolean;
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake (it is not answering). */
  terminate(): void;
  ping(): void;
}
