import { describe, expect, it } from 'vitest';
import { isNameField, lookupField, normaliseFieldName } from '../../src/detect/dictionary.ts';
import { findFieldLabels } from '../../src/detect/dictionary-labels.ts';
import type { LabelHit } from '../../src/detect/dictionary-labels.ts';

function meaning(key: string): string {
  const found = lookupField(key);
  if (found === null) return 'none';
  return [found.valueType, found.category, found.personal].filter((part) => part !== undefined).join('+');
}

describe('field names are compared case-, separator- and width-insensitively', () => {
  it('normalises camelCase, snake_case, kebab, spaces and full-width forms to one name', () => {
    for (const key of ['idNo', 'id_no', 'ID-NO', 'Id No', 'id.no', 'ｉｄＮｏ', 'ID_NO']) expect(normaliseFieldName(key), key).toBe('idno');
    expect(normaliseFieldName('*身份证号（必填）'.replace('（必填）', ''))).toBe('身份证号');
  });

  it('maps every spelling of an ID column to cn_resident_id, naming the entry that matched', () => {
    for (const key of ['身份证号', '身份证号码', '证件号码', 'idNo', 'idCard', 'id_number', 'sfzh', 'sfzhm', 'zjhm', 'ID_CARD_NO', '公民身份号码']) {
      expect(meaning(key), key).toBe('cn_resident_id');
    }
    expect(lookupField('id_card')?.entry).toBe('idCard');
    expect(lookupField('SFZH')?.entry).toBe('sfzh');
  });
});

describe('value types from field names', () => {
  const cases: [string, string[]][] = [
    ['cn_mobile', ['手机号', '手机', '联系电话', '电话', 'mobile', 'phone', 'tel', 'sjh', 'lxdh', 'mobilePhone', 'phone_number']],
    ['email', ['邮箱', 'email', 'mail', 'yx', 'e-mail', 'emailAddress']],
    ['bank_card+financial_account', ['银行卡号', '银行账号', '卡号', 'bankCard', 'cardNo', 'accountNo', 'yhkh', 'yhzh']],
    ['cn_passport', ['护照号', 'passport', 'hzh', 'passport_no']],
    ['hk_macao_permit', ['通行证', '港澳通行证', '回乡证']],
    ['tw_permit', ['台胞证', '台湾居民来往大陆通行证', 'tbz']],
    ['cn_plate', ['车牌', '车牌号', 'plate', 'licensePlate', 'cph']],
    ['cn_uscc', ['统一社会信用代码', 'uscc', 'creditCode', 'tyshxydm']],
    ['geo_coordinate', ['纬度', '经度', 'lat', 'lng', 'latitude', 'longitude', '坐标']],
  ];
  for (const [expected, keys] of cases) {
    it(`${expected}: ${keys.join(', ')}`, () => {
      for (const key of keys) expect(meaning(key), key).toBe(expected);
    });
  }
});

describe('sensitive categories of PIPL Art. 28', () => {
  const cases: [string, string[]][] = [
    ['location_track', ['轨迹', '行踪', '位置轨迹', 'track', 'trajectory', 'gpsTrack', '行程']],
    ['health', ['诊断', '病历', '病史', '病情', 'diagnosis', 'medicalRecord', 'disease', 'symptom', '过敏史', '处方', '检验结果', 'health', 'bl', 'zd']],
    ['biometric', ['指纹', '人脸', '面部', '声纹', '虹膜', '基因', 'fingerprint', 'faceImage', 'faceFeature', 'iris', 'voiceprint', 'dna', 'gene']],
    ['religion', ['宗教', '信仰', 'religion', 'faith', 'zjxy']],
    ['specific_identity', ['政治面貌', '民族', '特定身份', '残疾', '犯罪记录', 'criminalRecord', 'disability', 'ethnicity', 'politicalAffiliation']],
    ['financial_account', ['征信', '银行流水', '支付密码', 'creditReport', 'cvv', 'accountBalance']],
    ['minor', ['儿童', '未成年人', 'minor', 'isMinor']],
  ];
  for (const [expected, keys] of cases) {
    it(`${expected}: ${keys.join(', ')}`, () => {
      for (const key of keys) expect(meaning(key), key).toBe(expected);
    });
  }

  it('keeps income, salary and bare credit out of financial_account (TC260-PG-20244A: accounts, not earnings)', () => {
    for (const key of ['income', 'salary', 'credit', 'credits', 'balance']) expect(meaning(key), key).toBe('none');
  });

  it('does not read the ambiguous pinyin initials zj (宗教? 证件? 总计?) as religion', () => {
    expect(meaning('zj')).toBe('none');
  });
});

describe('personal fields and names', () => {
  it('recognises person names, including a child’s name as both a name and a minor', () => {
    for (const key of ['姓名', '名字', 'name', 'fullName', 'realName', 'xm', 'custName', '客户姓名', '联系人', '收件人', 'buyerName', '客户名称', 'receiver_name']) {
      expect(isNameField(key), key).toBe(true);
    }
    expect(meaning('childName')).toBe('minor+person_name');
    expect(isNameField('childName')).toBe(true);
  });

  it('maps addresses, birth dates and gender', () => {
    for (const key of ['地址', '住址', '收货地址', 'address', 'addr', 'dz', 'shipping_address']) expect(meaning(key), key).toBe('address');
    for (const key of ['出生日期', '生日', 'birthday', 'dob', 'csrq']) expect(meaning(key), key).toBe('birth_date');
    for (const key of ['性别', 'gender', 'sex', 'xb']) expect(meaning(key), key).toBe('gender');
  });
});

describe('compound keys', () => {
  it('matches a person role before a field name', () => {
    expect(meaning('buyerIdNo')).toBe('cn_resident_id');
    expect(meaning('receiver_mobile')).toBe('cn_mobile');
    expect(meaning('emergencyContactPhone')).toBe('cn_mobile');
    expect(meaning('紧急联系人电话')).toBe('cn_mobile');
    expect(meaning('patient_name')).toBe('person_name');
    expect(meaning('home_address')).toBe('address');
  });

  it('ignores a trailing note in brackets and a copy number', () => {
    expect(meaning('手机号(必填)')).toBe('cn_mobile');
    expect(meaning('姓名（必填）')).toBe('person_name');
    expect(meaning('phone [optional]')).toBe('cn_mobile');
    expect(meaning('phone2')).toBe('cn_mobile');
    expect(meaning('address_1')).toBe('address');
    expect(meaning('联系电话1')).toBe('cn_mobile');
    expect(meaning('sha256')).toBe('none');
  });

  it('matches distinctive names after any prefix', () => {
    expect(meaning('买家身份证号')).toBe('cn_resident_id');
    expect(meaning('primaryDiagnosis')).toBe('health');
    expect(meaning('workEmail')).toBe('email');
  });

  it('does not take an order, a product, a company or a login for a person', () => {
    for (const key of ['orderId', 'orderNo', 'id', 'no', 'productName', 'companyName', 'shopName', 'userName', 'nickname', 'fileName', 'companyAddress', 'ipAddress', 'phoneModel', 'soundtrack', 'children', 'giftCardNo', 'memberCardNo', 'trackingNo', 'versionMinor']) {
      expect(meaning(key), key).toBe('none');
      expect(isNameField(key), key).toBe(false);
    }
  });
});

describe('lookupField', () => {
  it('returns the same frozen meaning for every spelling (cached, safe to share)', () => {
    const first = lookupField('idNo');
    expect(lookupField('ID_NO')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('returns null for empty and overlong keys', () => {
    expect(lookupField('')).toBeNull();
    expect(lookupField('身份证号'.repeat(20))).toBeNull();
  });
});

describe('labels in free text (findFieldLabels)', () => {
  function labels(text: string): string[] {
    const out: LabelHit[] = [];
    findFieldLabels(text, 0, text.length, out);
    return out.map((hit) => `${hit.meaning.category ?? hit.meaning.personal ?? hit.meaning.valueType} ${hit.meaning.entry}=${text.slice(hit.start, hit.end)}`);
  }

  it('reads "label：content" pairs with the dictionary, content up to the next separator', () => {
    expect(labels('患者张三，诊断：高血压，过敏史: 青霉素\n宗教信仰：佛教。')).toEqual([
      'health 诊断=高血压',
      'health 过敏史=青霉素',
      'religion 宗教信仰=佛教',
    ]);
    expect(labels('姓名：李四；身份证号码：tok_123')).toEqual(['person_name 姓名=李四', 'cn_resident_id 身份证号码=tok_123']);
  });

  it('reads quoted keys of JSON scanned as text', () => {
    expect(labels('{"diagnosis": "asthma", "orderNo": "A1"')).toEqual(['health diagnosis=asthma']);
  });

  it('starts no label inside a content', () => {
    expect(labels('病史：2019诊断:阑尾炎。')).toEqual(['health 病史=2019诊断:阑尾炎']);
  });

  it('stays linear on a text made of labels and colons', () => {
    const text = '诊断:'.repeat(300_000) + '：'.repeat(300_000);
    const started = performance.now();
    findFieldLabels(text, 0, text.length, []);
    // A quadratic pass would take minutes here.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('needs the colon, a known label and unmasked content', () => {
    expect(labels('本系统不保存诊断信息 12:30 http://x.cn 诊断：*** 诊断：')).toEqual([]);
  });
});
