#!/usr/bin/env node
// The `tobira` command: Node runs the TypeScript source directly (type stripping), no build step.
import '../src/cli.ts';
