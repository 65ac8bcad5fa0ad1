#!/usr/bin/env node
// The only place kit ends the process: oclif sets process.exitCode from the command's outcome.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
