import { decodeCursor, encodeCursor } from '../../shared/connection.ts';
import { badUserInput, describeValue } from '../../shared/errors.ts';

const ORDERING = 'changes';

/** The opaque cursor of a log position, as `changes` hands it out. */
export function encodeChangeCursor(position: number | bigint): string {
  return encodeCursor(ORDERING, [Number(position)]);
}

/** The position a `changes` cursor names, or `BAD_USER_INPUT` naming `argument` for anything else. */
export function decodeChangeCursor(cursor: string, argument = 'after'): number {
  const [position] = decodeCursor(cursor, ORDERING, ['number'] as const, argument);
  if (!Number.isSafeInteger(position) || position < 0) {
    throw badUserInput(
      `Argument "${argument}" is not a valid cursor for changes: expected a cursor returned by it, got ${describeValue(cursor)}`,
      argument,
    );
  }
  return position;
}
