/** Fills `{{name}}` placeholders; an unknown placeholder is left as written (a template bug shows). */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([a-z_]+)\}\}/g, (placeholder, name: string) => values[name] ?? placeholder);
}
