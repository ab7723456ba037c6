/**
 * A JUnit XML writer for one test suite: the format CI systems (Jenkins, GitLab, GitHub reporters) read to show
 * pass and fail per test. It follows the common Ant/Surefire shape: <testsuites> around one <testsuite> with
 * tests/failures/errors/skipped counts, <properties>, and a <testcase> per test with an optional <failure> or
 * <skipped>.
 */

export interface JunitTestCase {
  classname: string;
  name: string;
  failure?: { message: string; type: string; details: string };
  skipped?: { message: string };
}

export interface JunitTestSuite {
  name: string;
  /** Wall seconds the suite took. */
  timeSeconds: number;
  properties: Record<string, string>;
  cases: JunitTestCase[];
}

export function renderJunitXml(suite: JunitTestSuite): string {
  const failures = suite.cases.filter((c) => c.failure).length;
  const skipped = suite.cases.filter((c) => !c.failure && c.skipped).length;
  const counts = { tests: suite.cases.length, failures, errors: 0, skipped, time: suite.timeSeconds };
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: suite.name, ...counts })}>`,
    `  <testsuite${attributes({ name: suite.name, ...counts })}>`,
  ];
  const properties = Object.entries(suite.properties);
  if (properties.length > 0) {
    lines.push('    <properties>');
    for (const [name, value] of properties) lines.push(`      <property${attributes({ name, value })}/>`);
    lines.push('    </properties>');
  }
  for (const c of suite.cases) {
    const open = `    <testcase${attributes({ classname: c.classname, name: c.name, time: 0 })}`;
    if (c.failure) {
      lines.push(
        `${open}>`,
        `      <failure${attributes({ message: c.failure.message, type: c.failure.type })}>${escapeXmlText(c.failure.details)}</failure>`,
        '    </testcase>',
      );
    } else if (c.skipped) {
      lines.push(`${open}>`, `      <skipped${attributes({ message: c.skipped.message })}/>`, '    </testcase>');
    } else {
      lines.push(`${open}/>`);
    }
  }
  lines.push('  </testsuite>', '</testsuites>');
  return `${lines.join('\n')}\n`;
}

// XML 1.0 section 2.2: tab, newline, carriage return and U+0020 up are allowed, except surrogates (a lone one is
// not a character) and U+FFFE/U+FFFF. Anything else cannot appear even escaped, so it becomes U+FFFD.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text content: the markup characters escaped, characters XML cannot hold replaced. */
export function escapeXmlText(text: string): string {
  return text
    .replace(NOT_XML_CHAR, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * An attribute value in double quotes. Tab, newline and carriage return are written as character references:
 * a parser normalizes them to spaces otherwise (XML 1.0 section 3.3.3).
 */
export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escapeXmlAttribute(String(value))}"`)
    .join('');
}
