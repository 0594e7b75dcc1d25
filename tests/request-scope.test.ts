import { describe, expect, it } from 'vitest';
import { parsedDocuments } from '../src/protection/parsed-documents.ts';
import { chooseRequestId, openRequestScope, requestScopeOf } from '../src/shared/request-scope.ts';
import { sha256 } from '../src/shared/sha256.ts';
import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { anonymousViewer } from '../src/shared/viewer.ts';

describe('chooseRequestId', () => {
  it("keeps the caller's id when it is a short token", () => {
    expect(chooseRequestId('trace-42.a_b')).toBe('trace-42.a_b');
  });

  it('replaces an id that could forge a log line or header with a fresh UUID', () => {
    for (const forged of ['a\nb', 'x'.repeat(65), '', 'a b', '<script>']) {
      expect(chooseRequestId(forged)).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(chooseRequestId(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('requestScopeOf', () => {
  it('returns the one scope opened for the response, anonymous until the viewer step', () => {
    const res = new ServerResponse(new IncomingMessage(new Socket()));
    const scope = openRequestScope(res, 'id-1');
    expect(requestScopeOf(res)).toBe(scope);
    expect(scope.viewer).toBe(anonymousViewer);
  });

  it('says so when no scope was opened', () => {
    const res = new ServerResponse(new IncomingMessage(new Socket()));
    expect(() => requestScopeOf(res)).toThrow(/Expected a request scope/);
  });
});

describe('parsedDocuments', () => {
  it('parses a document once per hash and hands the same parse to every reader', () => {
    const documents = parsedDocuments(1000);
    const query = '{ article(slug: "a") { id } }';
    const first = documents.parsed(sha256(query), query);
    expect(first?.kind).toBe('Document');
    expect(documents.parsed(sha256(query), query)).toBe(first);
  });

  it('answers undefined for text that does not parse or has too many tokens, and remembers it', () => {
    const documents = parsedDocuments(5);
    expect(documents.parsed(sha256('{ nope'), '{ nope')).toBeUndefined();
    const long = '{ a b c d e f g }';
    expect(documents.parsed(sha256(long), long)).toBeUndefined();
  });
});
