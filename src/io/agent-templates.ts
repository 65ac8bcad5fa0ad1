/**
 * The agent command-file templates bundled with kit (templates/agents/ next to dist/), so installing
 * them never needs the network. `templates.json` holds the set's semver version, what changed in each
 * version, and each step's description and argument hint; `steps/<step>.md` the step's instructions;
 * `section.md` the workflow section for AGENTS.md and CLAUDE.md.
 */
import { readFileSync } from 'node:fs';
import { AGENT_STEPS, type AgentStep } from '../domain/agent-catalog.js';
import type { AgentStepTemplate, AgentTemplates } from '../domain/agent-files.js';
import { TEMPLATE_VERSION } from '../domain/agent-manifest.js';
import { kitFile } from './install-dir.js';

let loaded: AgentTemplates | undefined;

/** Reads and checks the bundled templates; a broken bundle is kit's bug, so it throws a plain Error. */
export function loadAgentTemplates(): AgentTemplates {
  loaded ??= readBundle();
  return loaded;
}

function readBundle(): AgentTemplates {
  const read = (name: string) =>
    readFileSync(kitFile('templates', 'agents', ...name.split('/')), 'utf8').replace(/\r\n/g, '\n');
  const index = JSON.parse(read('templates.json')) as {
    version?: unknown;
    changes?: unknown;
    steps?: Record<string, { description?: unknown; argumentHint?: unknown }>;
  };
  if (typeof index.version !== 'string' || !TEMPLATE_VERSION.test(index.version)) {
    throw new Error('templates/agents/templates.json: version must be major.minor.patch');
  }
  const changes = Array.isArray(index.changes) ? index.changes : [];
  const steps: Partial<Record<AgentStep, AgentStepTemplate>> = {};
  for (const [step, meta] of Object.entries(index.steps ?? {})) {
    if (!(AGENT_STEPS as readonly string[]).includes(step)) {
      throw new Error(`templates/agents/templates.json: unknown step "${step}"`);
    }
    if (typeof meta.description !== 'string' || typeof meta.argumentHint !== 'string') {
      throw new Error(`templates/agents/templates.json: step "${step}" needs a description and an argumentHint`);
    }
    steps[step as AgentStep] = {
      meta: { description: meta.description, argumentHint: meta.argumentHint },
      body: read(`steps/${step}.md`),
    };
  }
  return {
    version: index.version,
    changes: changes.map((change: { version?: unknown; summary?: unknown }) => {
      if (typeof change.version !== 'string' || !TEMPLATE_VERSION.test(change.version)) {
        throw new Error('templates/agents/templates.json: every change needs a version like 1.0.0');
      }
      return { version: change.version, summary: String(change.summary ?? '') };
    }),
    steps,
    section: read('section.md'),
  };
}
