import {parseDocument, isMap, isSeq, isScalar} from 'yaml';
const src = `work_package_id: WP03
title: Generator Emits All Content
lane: "done"  # comment
dependencies: [WP01]
agent:
empty: ''
subtasks:
  - T1
  - T2
history:
- timestamp: '2026-03-18T07:24:37Z'
  lane: planned
  action: Prompt generated
# trailing comment
requirement_refs: [FR-011]
`;
const doc = parseDocument(src, {keepSourceTokens:true});
for (const p of doc.contents.items) {
  const v = p.value;
  console.log(p.key.value, p.key.range, v && v.constructor.name, v?.range, v?.type, v?.flow, JSON.stringify(v && v.range ? src.slice(v.range[0], v.range[1]) : null));
}
