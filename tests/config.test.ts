import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      databaseUrl: undefined,
      dataDir: undefined,
      publicUrl: 'http://localhost:4000',
      demo: true,
      statementTimeoutMs: 5000,
      poolSize: 10,
    });
  });

  it('derives the public URL from PORT and strips a trailing slash from an explicit one', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ BYLINE_PUBLIC_URL: 'https://news.example/' }).publicUrl).toBe('https://news.example');
  });

  it('fails naming every bad variable and what it expected', () => {
    expect(() =>
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://u:secret@h/db',
        BYLINE_DEMO: 'maybe',
        NODE_ENV: 'staging',
      }),
    ).toThrow(
      new ConfigError(
        [
          'Invalid configuration:',
          '  NODE_ENV: expected one of development, test, production, got "staging"',
          '  PORT: expected an integer from 0 to 65535, got "eighty"',
          '  DATABASE_URL: expected a URL with protocol postgres: or postgresql:, got "mysql://u:***@h/db"',
          '  BYLINE_DEMO: expected true or false, got "maybe"',
        ].join('\n'),
      ),
    );
  });
});
