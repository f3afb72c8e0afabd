/**
 * Serves the treasurers' dashboard (built into dist/dashboard by scripts/build.mjs from
 * src/api/dashboard/web) at `/`. Its files need no key: the page signs in with Sign-In with
 * Ethereum and then talks only to the REST routes. A strict Content Security Policy (helmet)
 * allows only this origin's scripts, styles and requests, so data shown in the page (batch and
 * settlement fields anyone can submit) can never run as code there.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, Router } from 'express';
import helmet from 'helmet';
import { CustodyError } from '../../shared/errors.ts';

export class DashboardNotBuiltError extends CustodyError {
  constructor() {
    super(
      'dashboard-not-built',
      503,
      'Dashboard not built',
      'the dashboard files are missing: run `npm run build` (npm install runs it)',
    );
  }
}

/** dist/dashboard beside the running code: from src/api/dashboard or from a dist/ bundle. */
export function findDashboardDir(
  from = path.dirname(fileURLToPath(import.meta.url)),
): string | undefined {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    for (const candidate of [path.join(dir, 'dist', 'dashboard'), path.join(dir, 'dashboard')]) {
      if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export function dashboardHandler(dir = findDashboardDir()): RequestHandler {
  const router = Router();
  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
      // Served on plain http on 127.0.0.1 by default: upgrading would break it, and HSTS is a
      // matter for the TLS proxy in front.
      strictTransportSecurity: false,
      crossOriginEmbedderPolicy: false,
    }),
  );
  if (dir === undefined) {
    router.get(['/', '/index.html'], () => {
      throw new DashboardNotBuiltError();
    });
    return router;
  }
  // index.html is read fresh (it names the current build's files); the hashed assets forever.
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false }),
  );
  router.get(['/', '/index.html'], (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(dir, 'index.html'));
  });
  return router;
}
