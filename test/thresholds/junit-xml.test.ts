import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { escapeXmlAttribute, escapeXmlText, renderJunitXml, type JunitTestSuite } from '../../sim/results/junit-xml.js';
import { renderThresholdsJunit, type JunitSource } from '../../sim/results/thresholds-junit.js';
import { defineThreshold } from '../../sim/thresholds/define-threshold.js';
import { evaluateThresholds } from '../../sim/thresholds/evaluate-thresholds.js';
import { sampleSummary } from './sample-summary.js';

interface ParsedCase {
  classname: string;
  name: string;
  failure?: { message: string; type: string; '#text': string };
  skipped?: { message: string };
}

interface ParsedSuite {
  name: string;
  tests: string;
  failures: string;
  errors: string;
  skipped: string;
  properties?: { property: { name: string; value: string }[] };
  testcase?: ParsedCase[];
}

/** Parses JUnit XML with a real XML parser, after checking it is well-formed. */
function parseJunit(xml: string): { testsuites: { tests: string; failures: string; testsuite: ParsedSuite[] } } {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  });
  return parser.parse(xml) as ReturnType<typeof parseJunit>;
}

function suiteWith(cases: JunitTestSuite['cases']): JunitTestSuite {
  return { name: 'certfleet tiny', timeSeconds: 1.5, properties: { seed: '7' }, cases };
}

describe('the JUnit XML writer', () => {
  it('escapes markup so text and attribute values come back as written', () => {
    const name = `a < b && c > "d" 'e'`;
    const details = 'line 1 <tag> & more\nline 2';
    const xml = renderJunitXml(
      suiteWith([{ classname: 'thresholds', name, failure: { message: `expected ${name}`, type: 'threshold', details } }]),
    );
    const testcase = parseJunit(xml).testsuites.testsuite[0]?.testcase?.[0];
    expect(testcase?.name).toBe(name);
    expect(testcase?.failure?.message).toBe(`expected ${name}`);
    expect(testcase?.failure?.['#text']).toBe(details);
  });

  it('keeps newlines and tabs in attribute values as character references', () => {
    expect(escapeXmlAttribute('a\nb\tc\rd')).toBe('a&#10;b&#9;c&#13;d');
  });

  it('replaces characters XML 1.0 cannot hold, even escaped, and keeps those it can', () => {
    expect(escapeXmlText('bell\u0007 nul\u0000 ok\ttab')).toBe('bell\uFFFD nul\uFFFD ok\ttab');
    expect(escapeXmlText('lone \uD800 high, lone \uDC00 low')).toBe('lone \uFFFD high, lone \uFFFD low');
    expect(escapeXmlText('pair \uD83D\uDE00 and \u00E9')).toBe('pair \uD83D\uDE00 and \u00E9');
    expect(XMLValidator.validate(renderJunitXml(suiteWith([{ classname: 'thresholds', name: 'x\u0001y' }])))).toBe(true);
  });

  it('counts tests, failures and skipped tests on the suite and around it', () => {
    const xml = renderJunitXml(
      suiteWith([
        { classname: 'thresholds', name: 'a' },
        { classname: 'thresholds', name: 'b', failure: { message: 'm', type: 'threshold', details: 'd' } },
        { classname: 'thresholds', name: 'c', skipped: { message: 's' } },
      ]),
    );
    const parsed = parseJunit(xml);
    expect(parsed.testsuites).toMatchObject({ tests: '3', failures: '1' });
    expect(parsed.testsuites.testsuite[0]).toMatchObject({ name: 'certfleet tiny', tests: '3', failures: '1', errors: '0', skipped: '1' });
    expect(parsed.testsuites.testsuite[0]?.properties?.property).toEqual([{ name: 'seed', value: '7' }]);
  });

  it('writes a valid document for a run with no thresholds', () => {
    const parsed = parseJunit(renderJunitXml(suiteWith([])));
    expect(parsed.testsuites.testsuite[0]).toMatchObject({ tests: '0', failures: '0' });
  });
});

describe('thresholds as JUnit XML', () => {
  function source(complete: boolean, ...checks: string[]): JunitSource {
    const summary = { ...sampleSummary(), complete };
    const defined = checks.map((check) => {
      const d = defineThreshold({ check }, []);
      if ('problems' in d) throw new Error(d.problems[0]?.message);
      return d.threshold;
    });
    return {
      scenario: 'tiny',
      seed: 7,
      devices: 6,
      complete,
      ...(complete ? {} : { interruption: 'interrupted' }),
      timeline: { start: '2030-01-01T00:00:00.000Z', end: '2030-03-01T00:00:00.000Z', reached: '2030-01-04T00:00:00.000Z' },
      wall: { seconds: 2.5, epochs: 12 },
      thresholds: evaluateThresholds(defined, summary),
    };
  }

  it('has one test case per threshold, and a failure with expected and actual for each that failed', () => {
    const suite = parseJunit(renderThresholdsJunit(source(true, 'lockedOut <= 1', 'rotation.latency.p99 < 2s'))).testsuites.testsuite;
    expect(suite).toHaveLength(1);
    expect(suite[0]).toMatchObject({ name: 'certfleet tiny', tests: '2', failures: '1', skipped: '0' });
    const [passing, failing] = suite[0]?.testcase ?? [];
    expect(passing).toEqual({ classname: 'thresholds', name: 'lockedOut <= 1', time: '0' });
    expect(failing?.name).toBe('rotation.latency.p99 < 2s');
    expect(failing?.failure?.message).toBe('expected rotation.latency.p99 < 2000 ms, actual 2500 ms');
    expect(failing?.failure?.['#text']).toContain('actual: 2500 ms');
  });

  it('reports a threshold that held on a partial run as skipped, not passed', () => {
    const suite = parseJunit(renderThresholdsJunit(source(false, 'lockedOut <= 1', 'lockedOut == 0'))).testsuites.testsuite[0];
    expect(suite).toMatchObject({ tests: '2', failures: '1', skipped: '1' });
    expect(suite?.testcase?.[0]?.skipped?.message).toBe(
      'the run stopped early at 2030-01-04T00:00:00.000Z (interrupted); the threshold held until then',
    );
    expect(suite?.testcase?.[1]?.failure?.['#text']).toContain('note: the run stopped early');
    expect(suite?.properties?.property).toContainEqual({ name: 'complete', value: 'false' });
  });
});
