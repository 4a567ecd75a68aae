/**
 * XML bodies read element by element: element and attribute names give their values meaning, as
 * JSON keys do, and elements are objects and repeated elements lists for counting people
 * (CLARIFICATIONS 1), so the same records find the same data and people in either format.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scan, scanWithEvidence } from '../../src/detect/index.ts';
import { at, finding, idA, idB, json, mobileA, unionPayCard } from './helpers.ts';

const xml = { contentType: 'application/xml', at };
const typesOf = (result: Awaited<ReturnType<typeof scan>>) => Object.fromEntries(result.findings.map((f) => [f.type, f.count]));

describe('XML bodies', () => {
  it('finds in an XML export of patients what the same records show as JSON: the diagnosis, names, passports', async () => {
    const patients = [
      { name: '王小明', diagnosis: '2型糖尿病', idNo: idA, hzhm: 'E12345678' },
      { name: '李小华', diagnosis: '高血压', idNo: idB, hzhm: 'E87654321' },
    ];
    const asJson = await scan(JSON.stringify({ patients }), { contentType: 'application/json', at });
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<patients>${patients
      .map((p) => `\n  <patient>${Object.entries(p).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</patient>`)
      .join('')}\n</patients>`;
    const asXml = await scan(body, xml);
    expect(typesOf(asXml)).toEqual(typesOf(asJson));
    expect(typesOf(asXml)).toMatchObject({ health: 2, person_name: 2, cn_passport: 2, cn_resident_id: 2 });
    expect(finding(asXml, 'health')!.paths).toEqual(['/patients/patient/diagnosis']);
    // Counted as JSON is (CLARIFICATIONS 1): each repeated <patient> a record, each a person.
    expect(asXml).toMatchObject({ records: 2, subjects: 2, sensitiveSubjects: 2, identifiable: 2 });
    expect(asXml).toMatchObject({ records: asJson.records, subjects: asJson.subjects, sensitiveSubjects: asJson.sensitiveSubjects });
  });

  it('counts people as JSON does: a named element with its nameless sub-elements, else one per list item', async () => {
    const count = async (body: string) => {
      const { records, subjects, identifiable } = await scan(body, xml);
      return { records, subjects, identifiable };
    };
    // Identifiers outside the named buyer go to it; with a buyer and a receiver they are a third person.
    const orders = `<orders>
      <order><no>1</no><m>13700000000</m><buyer><name>王</name><idNo>${idA}</idNo></buyer></order>
      <order><no>2</no><m>13700000001</m><buyer><name>李</name></buyer><receiver><name>张</name><mobile>${mobileA}</mobile></receiver></order>
    </orders>`;
    expect(await count(orders)).toEqual({ records: 2, subjects: 4, identifiable: 2 });
    // An envelope does not hide the list; attributes are fields; a person seen twice counts once.
    const envelope = `<response><code>0</code><data><p name="王" mobile="${mobileA}"/><p name="李" mobile="13912345678"/><p mobile="${mobileA}"/></data></response>`;
    expect(await count(envelope)).toEqual({ records: 3, subjects: 2, identifiable: 2 });
    // Nameless list items under a named element are that person's.
    expect(await count(`<c><name>王</name><phones><p><n>${mobileA}</n></p><p><n>13912345678</n></p></phones></c>`)).toEqual({ records: 2, subjects: 1, identifiable: 1 });
  });

  it('counts the text of an element with attributes or child elements as that element\'s, as JSON counts a `#text` field', async () => {
    const counts = ({ records, subjects, identifiable }: Awaited<ReturnType<typeof scan>>) => ({ records, subjects, identifiable });
    const mobiles = ['13900000001', '13900000002', '13900000003'];
    const asJson = await scan(JSON.stringify({ r: { p: mobiles.map((m, i) => ({ id: String(i), '#text': m })) } }), json);
    expect(counts(asJson)).toEqual({ records: 3, subjects: 3, identifiable: 0 });
    for (const body of [
      `<r>${mobiles.map((m, i) => `<p id="${i}">${m}</p>`).join('')}</r>`,
      `<r>${mobiles.map((m, i) => `<p>${m}<id>${i}</id></p>`).join('')}</r>`,
      `<r>${mobiles.map((m, i) => `<p><id>${i}</id>${m}</p>`).join('')}</r>`,
    ]) {
      expect(counts(await scan(body, xml)), body).toEqual(counts(asJson));
    }
    // A named element's own text is that person's.
    const named = `<r>${mobiles.map((m, i) => `<p>${m}<name>王${i}</name></p>`).join('')}</r>`;
    expect(counts(await scan(named, xml))).toEqual({ records: 3, subjects: 3, identifiable: 3 });
  });

  it('counts a list after more distinct sibling objects than it keeps waiting no lower than JSON', async () => {
    const fillers = Array.from({ length: 300 }, (_, i) => `<f${i} a="1"/>`).join('');
    const customers = ['13900000001', '13900000002', '13900000003'].map((m) => `<c><mobile>${m}</mobile></c>`).join('');
    const asJson = await scan(JSON.stringify({ r: { ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, { a: '1' }])), c: ['13900000001', '13900000002', '13900000003'].map((mobile) => ({ mobile })) } }), json);
    const result = await scan(`<r>${fillers}${customers}</r>`, xml);
    expect(result.subjects).toBeGreaterThanOrEqual(asJson.subjects);
    expect(result.subjects).toBe(3);
  });

  it('counts 50,000 customers in an XML export as 50,000 people, not one', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => `<customer><mobile>139${String(i).padStart(8, '0')}</mobile></customer>`);
    const result = await scan(`<customers>${rows.join('')}</customers>`, xml);
    expect(result).toMatchObject({ records: 50_000, subjects: 50_000 });
  });

  it('reads attribute names and namespaced names by their local part', async () => {
    const body = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
      <ns2:customer xmlns:ns2="urn:crm" ns2:姓名="王小明" 银行账号="${unionPayCard}"><ns2:宗教>佛教</ns2:宗教></ns2:customer>
    </s:Body></s:Envelope>`;
    const result = await scan(body, { contentType: 'application/soap+xml', at });
    expect(finding(result, 'person_name')!.paths).toEqual(['/Envelope/Body/customer/@姓名']);
    expect(finding(result, 'religion')!.paths).toEqual(['/Envelope/Body/customer/宗教']);
    expect(finding(result, 'bank_card')!.paths).toEqual(['/Envelope/Body/customer/@银行账号']);
    expect(finding(result, 'financial_account')?.count).toBe(1);
  });

  it('counts a name that is itself a value once, and shows its type in the path instead', async () => {
    const result = await scan(`<r><tel_${mobileA}>x</tel_${mobileA}><tel_${mobileA} a="1"/></r>`, xml);
    expect(finding(result, 'cn_mobile')).toMatchObject({ count: 2, paths: ['/r/<cn_mobile>'] });
    const inAttribute = await scan(`<r><p tel_${mobileA}="1"/></r>`, xml);
    expect(finding(inAttribute, 'cn_mobile')).toMatchObject({ count: 1, paths: ['/r/p/@<cn_mobile>'] });
    expect(JSON.stringify(result)).not.toContain(mobileA);
  });

  it('scans what a DOCTYPE defines: an entity is pasted in wherever the body references it', async () => {
    const result = await scan(`<!DOCTYPE r [<!ENTITY who "${idA}">]><r><note>&who;</note></r>`, xml);
    expect(finding(result, 'cn_resident_id')).toMatchObject({ count: 1, paths: ['text'] });
  });

  it('reads the body after a DOCTYPE whose comments or processing instructions hold quotes or brackets', async () => {
    const patients = `<patients>${[0, 1, 2].map((i) => `<patient><name>王${i}</name><hzhm>E1234567${i}</hzhm><mobile>1390000000${i}</mobile></patient>`).join('')}</patients>`;
    const plain = await scan(patients, xml);
    expect(plain).toMatchObject({ records: 3, subjects: 3 });
    for (const subset of [`<!-- it's -->`, `<!-- [ -->`, `<?pi "?>`, `<!-- ] --><!ENTITY e "x">`]) {
      const result = await scan(`<!DOCTYPE patients [${subset}]>${patients}`, xml);
      expect(typesOf(result), subset).toEqual(typesOf(plain));
      expect(result, subset).toMatchObject({ records: 3, subjects: 3 });
    }
  });

  it('scans a malformed body whole: a stray <, an unclosed quote, an unclosed tag, end tags of nothing', async () => {
    for (const body of [
      `<r>a < b ${idA}</r>`,
      `<r><p idNo="${idA}`,
      `<r><idNo>${idA}`,
      `</x></y>${idA}<r><idNo x='1'`,
      `<r><idNo ${idA}>x</idNo></r>`,
    ]) {
      expect(finding(await scan(body, xml), 'cn_resident_id')?.count, body).toBe(1);
    }
  });

  it('says a body an XML parser would refuse is not parsed: unclosed constructs, a truncated body, crossed end tags', async () => {
    // Each is still scanned whole (the value is found), but how its records and people are told
    // apart is a guess, so it is uninspectable as malformed JSON is (CLARIFICATIONS 14).
    const records = `<p><name>王</name><hzhm>E12345678</hzhm></p><p><name>李</name><idNo>${idA}</idNo></p>`;
    for (const [body, reason] of [
      [`<r><x a="1>${records}</r>`, /attribute value is not closed/],
      [`<r><x a='1'${records}</r>`, /start tag is not closed|end tag matches no open element/],
      [`<r><!-- note ${records}</r>`, /comment is not closed/],
      [`<r><![CDATA[ ${records}</r>`, /CDATA section is not closed/],
      [`<r><?pi ${records}</r>`, /processing instruction is not closed/],
      [`<!DOCTYPE r [ <!ENTITY e "x"> ${records}`, /declaration is not closed/],
      [`<r>${records}`, /element is not closed/],
      [`<r><a>${records}</r>`, /element is not closed/],
      [`<r>${records}</r></r>`, /end tag matches no open element/],
      [`<r>${records}</r`, /end tag is not closed/],
    ] as const) {
      const result = await scan(body, xml);
      expect(result.parseError, body).toMatch(reason);
      expect(finding(result, 'cn_resident_id')?.count, body).toBe(1);
    }
  });

  it('says a body whose DOCTYPE defines an entity holding markup is not parsed: the elements it pastes in are not walked', async () => {
    const rows = `<p><name>王</name><hzhm>E12345678</hzhm></p><p><name>李</name><idNo>${idA}</idNo></p>`;
    const result = await scan(`<!DOCTYPE r [<!ENTITY rows '${rows}'>]><r>&rows;</r>`, xml);
    expect(result.parseError).toMatch(/entity holds markup/);
    expect(finding(result, 'cn_resident_id')?.count).toBe(1);
    const referenced = await scan(`<!DOCTYPE r [<!ENTITY rows "${rows.replaceAll('<', '&#60;')}">]><r>&rows;</r>`, xml);
    expect(referenced.parseError).toMatch(/entity holds markup/);
    expect((await scan(`<!DOCTYPE r [<!ENTITY who "王小明" ><!ENTITY amp2 "&#38;">]><r><name>&who;</name></r>`, xml)).parseError).toBeNull();
  });

  it('says a body is not parsed when its DOCTYPE defines an entity that pastes in a piece of a value beside the text around it', async () => {
    // A parser reads `&head;5678` as 13812345678; the scan reads the entity's value on its own.
    for (const body of [
      `<!DOCTYPE r [<!ENTITY head "${mobileA.slice(0, 7)}">]><r><tel>&head;${mobileA.slice(7)}</tel></r>`,
      `<!DOCTYPE r [<!ENTITY a "${idA.slice(0, 9)}"><!ENTITY b "${idA.slice(9)}">]><r a="&a;&b;"/>`,
      `<!DOCTYPE r [<!ENTITY head "&#49;&#51;&#56;">]><r>&head;${mobileA.slice(3)}</r>`,
      // A check character alone completes a resident ID the scan read as 17 digits.
      `<!DOCTYPE r [<!ENTITY x "X">]><r>${'11010519491231002'}&x;</r>`,
    ]) {
      expect((await scan(body, xml)).parseError, body).toMatch(/entity/);
    }
    expect((await scan(`<!DOCTYPE r [<!ENTITY who "王小明" ><!ENTITY amp2 "&#38;">]><r><name>&who;</name></r>`, xml)).parseError).toBeNull();
  });

  it('parses well-formed XML of every construct without a parse error', async () => {
    const body = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE r [ <!ENTITY e "好"> <!-- it's [ fine ] --> ]>
<?pi "quoted"?>
<s:r xmlns:s="urn:x" a='1' b = "2 > 1">
  <!-- a comment --><p><name>王</name><note><![CDATA[ <b>1 < 2</b> ]]>&e;&amp;&#49;</note><empty/><e2 x="1" /></p>
  <p><name>李</name><idNo>${idA}</idNo></p>
</s:r>
`;
    const result = await scan(body, xml);
    expect(result).toMatchObject({ parseError: null, records: 2, subjects: 2 });
  });

  it('reads end tags of nothing under hundreds of open elements in time linear in the body', async () => {
    const body = `${'<abcdefghij>'.repeat(500)}${'</abcdefghik>'.repeat(400_000)}<idNo>${idA}</idNo>`;
    const started = performance.now();
    const result = await scan(body, xml);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(finding(result, 'cn_resident_id')?.count).toBe(1);
    expect(result.parseError).toMatch(/end tag/);
  });

  it('keeps spans on the value as written, in elements and attributes', async () => {
    const encoded = [...mobileA].map((c) => `&#${c.codePointAt(0)};`).join('');
    const body = `<r><p tel="${encoded}"><diagnosis>2型糖尿病</diagnosis></p></r>`;
    const { evidence } = await scanWithEvidence(body, xml);
    const slice = (type: string) => {
      const span = evidence.spans.find((s) => s.type === type)!;
      return evidence.text!.slice(span.start, span.end);
    };
    expect(slice('cn_mobile')).toBe(encoded);
    expect(slice('health')).toBe('2型糖尿病');
    expect(evidence.spans.find((s) => s.type === 'health')!.path).toBe('/r/p/diagnosis');
  });

  it('reads a very deep body without a path per level: past the depth cap, values go to the deepest open element', async () => {
    const depth = 200_000;
    const body = `${'<a>'.repeat(depth)}<idNo>${idA}</idNo>${'</a>'.repeat(depth)}`;
    const result = await scan(body, xml);
    expect(finding(result, 'cn_resident_id')?.count).toBe(1);
  });

  it('says a body nested past the depth cap is not parsed, as JSON does: its records would count as one', async () => {
    const customers = ['13900000001', '13900000002', '13900000003'].map((m) => `<c><mobile>${m}</mobile></c>`).join('');
    const nested = (levels: number) => `${'<a>'.repeat(levels)}${customers}${'</a>'.repeat(levels)}`;
    expect(await scan(nested(509), xml)).toMatchObject({ subjects: 3, parseError: null });
    const deep = await scan(nested(600), xml);
    expect(deep.parseError).toMatch(/deeper than 512/);
    expect(finding(deep, 'cn_mobile')?.count).toBe(3);
  });

  it('reads attribute values holding unclosed comments, CDATA or processing instructions in time linear in the body', async () => {
    for (const opener of ['<!--', '<?', '<![CDATA[']) {
      const body = `<r>${`<p a="${opener}"/>`.repeat(40_000)}<p idNo="${idA}"/></r>`;
      const started = performance.now();
      const result = await scan(body, xml);
      // Quadratic, this took minutes; linear, well under a second.
      expect(performance.now() - started, opener).toBeLessThan(3_000);
      expect(finding(result, 'cn_resident_id')?.count).toBe(1);
    }
  });

  it('finds the same data types as JSON for generated records of dictionary fields', async () => {
    const fields: [string, fc.Arbitrary<string>][] = [
      ['idNo', fc.constantFrom(idA, idB)],
      ['手机号', fc.constantFrom(mobileA, '13987654321')],
      ['诊断', fc.constantFrom('2型糖尿病', '哮喘')],
      ['name', fc.constantFrom('王小明', '陈大明')],
      ['hzhm', fc.constantFrom('E12345678', 'G23456789')],
      ['宗教信仰', fc.constantFrom('佛教', '无')],
      ['note', fc.constantFrom('ok', '备注')],
    ];
    const record = fc.subarray(fields, { minLength: 1 }).chain((chosen) => fc.tuple(...chosen.map(([k, v]) => v.map((value) => [k, value] as const))));
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 6 }), async (records) => {
        const asJson = await scan(JSON.stringify({ list: records.map((r) => Object.fromEntries(r)) }), { contentType: 'application/json', at });
        const body = `<list>${records.map((r) => `<item>${r.map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</item>`).join('')}</list>`;
        const asXml = await scan(body, xml);
        expect(typesOf(asXml)).toEqual(typesOf(asJson));
        const counts = ({ records, subjects, sensitiveSubjects, identifiable, parseError }: typeof asJson) => ({ records, subjects, sensitiveSubjects, identifiable, parseError });
        expect(counts(asXml)).toEqual(counts(asJson));
      }),
      { numRuns: 150 },
    );
  });

  it('leaves HTML read as text: its element names are markup, not field names', async () => {
    const result = await scan(`<html><body><address>王小明 ${mobileA}</address></body></html>`, { contentType: 'text/html', at });
    expect(finding(result, 'cn_mobile')!.paths).toEqual(['text']);
  });
});
