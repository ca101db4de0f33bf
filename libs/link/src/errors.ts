export type LinkErrorCode =
  | 'bad-uri'
  | 'no-such-port'
  | 'permission-denied'
  | 'port-busy'
  | 'connect-failed'
  | 'spawn-failed'
  | 'closed';

/** A link problem the user can fix; `message` is one line naming the problem and the fix. */
export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
  }
}
