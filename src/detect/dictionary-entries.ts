/**
 * The field dictionary as data: what a field name (JSON key, CSV header, form key) says about its
 * values. Chinese, English (camelCase and snake_case both normalise to the same key), pinyin in
 * full and as initials, and common abbreviations.
 *
 * `reach` says where a name may also match inside a longer key:
 * - 'exact' (default): only the whole key. Pinyin initials and short words stay here
 *   (`xm` 姓名, `zd` 诊断, `bl` 病历, as hospital and government schemas use them).
 * - 'role': after a person-role prefix (`buyerName`, `receiver_mobile`, `emergencyContactPhone`,
 *   `紧急联系人电话`), never after an order or a product (`orderId`, `productName`, `companyName`).
 * - 'any': after any prefix; for words no other field ends with (`身份证号`, `idCard`, `diagnosis`).
 *
 * Sensitive categories follow PIPL Art. 28 as read by TC260-PG-20244A (敏感个人信息识别指南).
 */
import type { PersonalFieldType, SensitiveCategory, ValueType } from '../domain.ts';

export type Reach = 'exact' | 'role' | 'any';

export interface DictionaryGroup {
  valueType?: ValueType;
  category?: SensitiveCategory;
  personal?: PersonalFieldType;
  names: Partial<Record<Reach, string[]>>;
}

export const dictionary: DictionaryGroup[] = [
  // --- identity documents ---------------------------------------------------------------
  {
    valueType: 'cn_resident_id',
    names: {
      any: ['身份证号', '身份证号码', '身份证', '公民身份号码', '证件号码', '证件号', 'idCard', 'idCardNo', 'idCardNumber'],
      role: ['idNo', 'idNumber', 'identityNo', 'identityNumber', 'identityCard', 'certNo', 'certificateNo'],
      exact: ['sfz', 'sfzh', 'sfzhm', 'zjhm', 'citizenId', 'nationalId', 'residentId', 'residentIdNo', 'cnResidentId'],
    },
  },
  {
    valueType: 'cn_passport',
    names: { any: ['护照号', '护照号码', '护照', 'passport', 'passportNo', 'passportNumber'], exact: ['hzh', 'hzhm'] },
  },
  {
    valueType: 'hk_macao_permit',
    names: {
      any: ['港澳通行证', '往来港澳通行证', '港澳通行证号码', '回乡证', '港澳居民来往内地通行证', 'homeReturnPermit', 'hkMacaoPermit'],
      exact: ['通行证', '通行证号', '通行证号码', 'permitNo', 'gatxz'],
    },
  },
  {
    valueType: 'tw_permit',
    names: { any: ['台胞证', '台胞证号', '台胞证号码', '台湾居民来往大陆通行证', 'taiwanPermit', 'twPermit'], exact: ['mtp', 'tbz', 'tbzh'] },
  },
  {
    valueType: 'cn_plate',
    names: { any: ['车牌', '车牌号', '车牌号码', '号牌号码', 'licensePlate', 'licencePlate', 'plateNo', 'plateNumber', 'carPlate'], exact: ['plate', 'cph', 'cphm'] },
  },
  {
    valueType: 'cn_uscc',
    names: { any: ['统一社会信用代码', '社会信用代码', 'unifiedSocialCreditCode', 'socialCreditCode'], exact: ['信用代码', 'uscc', 'creditCode', 'tyshxydm'] },
  },
  { valueType: 'hkid', names: { any: ['香港身份证', '香港身份证号', 'hkid', 'hkidNo', 'hkIdCard'] } },
  // --- contact --------------------------------------------------------------------------
  {
    valueType: 'cn_mobile',
    names: {
      any: ['手机号', '手机号码', '手机', '移动电话', 'mobile', 'mobileNo', 'mobileNumber', 'mobilePhone', 'cellphone'],
      role: ['电话', '电话号码', '联系电话', 'phone', 'phoneNo', 'phoneNumber', 'tel', 'telNo', 'telephone'],
      exact: ['sjh', 'sjhm', 'lxdh'],
    },
  },
  {
    valueType: 'email',
    names: {
      any: ['邮箱', '电子邮箱', '电子邮件', '邮箱地址', 'email', 'emailAddress', 'eMail'],
      role: ['mail', 'mailbox'],
      exact: ['yx', 'dzyx'],
    },
  },
  // --- financial account (PIPL Art. 28 金融账户; TC260-PG-20244A: account numbers and their
  //     passwords, card verification data, balances, payment records, credit records) --------
  {
    valueType: 'bank_card',
    category: 'financial_account',
    names: {
      any: ['银行卡号', '银行卡', '银行账号', '银行账户', '借记卡号', '信用卡号', 'bankCard', 'bankCardNo', 'bankAccount', 'bankAccountNo', 'creditCardNo', 'debitCardNo'],
      exact: ['yhkh', 'yhzh', 'iban', '卡号', 'cardNo', 'cardNumber', 'accountNo', 'acctNo', 'accountNumber'],
    },
  },
  {
    category: 'financial_account',
    names: {
      any: ['支付密码', '交易密码', '银行流水', '征信', '征信报告', '信用报告', '信贷记录', '账户余额', '证券账户', '基金账户', '公积金账号', '存款', 'paymentPassword', 'payPassword', 'tradePassword', 'bankStatement', 'creditReport', 'creditRecord', 'creditHistory', 'accountBalance', 'cvv', 'cvv2', 'cvn2', 'cardExpiry'],
      exact: ['支付账号', '收款记录', '交易记录', '流水', 'zxbg', 'yhls'],
    },
  },
  // --- sensitive categories ----------------------------------------------------------------
  {
    category: 'health',
    names: {
      any: ['诊断', '诊断结果', '病历', '病历号', '病史', '既往史', '病情', '过敏史', '处方', '检验结果', '检查结果', '化验结果', '体检结果', '症状', '用药记录', '手术记录', '住院记录', '健康状况', 'diagnosis', 'medicalRecord', 'medicalHistory', 'disease', 'symptom', 'symptoms', 'allergy', 'allergies', 'prescription', 'labResult', 'labResults', 'healthStatus', 'healthRecord'],
      exact: ['health', 'icd10', 'bl', 'zd', 'zdjg', 'bls'],
    },
  },
  {
    category: 'biometric',
    names: {
      any: ['指纹', '人脸', '人脸照片', '人脸图像', '面部', '面部特征', '人脸特征', '声纹', '虹膜', '掌纹', '基因', '基因检测', 'fingerprint', 'faceImage', 'facePhoto', 'faceFeature', 'faceTemplate', 'faceData', 'iris', 'irisScan', 'voiceprint', 'palmprint', 'dna', 'gene', 'genome', 'biometric', 'biometrics'],
    },
  },
  { category: 'religion', names: { any: ['宗教', '宗教信仰', '信仰', 'religion', 'religiousBelief', 'faith'], exact: ['zjxy'] } },
  {
    category: 'specific_identity',
    names: {
      any: ['政治面貌', '民族', '特定身份', '残疾', '残疾情况', '残疾证号', '犯罪记录', '违法犯罪记录', '刑事记录', 'criminalRecord', 'disability', 'ethnicity', 'politicalAffiliation', 'sexualOrientation', '性取向'],
      exact: ['zzmm'],
    },
  },
  {
    category: 'location_track',
    names: {
      any: ['轨迹', '行踪', '行踪轨迹', '位置轨迹', '行车轨迹', '行程', '出行记录', '定位记录', '住宿记录', 'trajectory', 'gpsTrack', 'locationHistory', 'locationTrack', 'itinerary'],
      // 'track' alone only: soundtrack, audioTrack end with it too.
      exact: ['track', 'xzgj'],
    },
  },
  { valueType: 'geo_coordinate', names: { any: ['纬度', '经度', '经纬度', '坐标', 'latitude', 'longitude', 'coordinate', 'coordinates'], role: ['lat', 'lng', 'lon'] } },
  // --- minors (PIPL Art. 28: under 14; also derived from a resident ID's birth date) --------
  // 'children' is every tree's child list and 'minor' a version field inside a longer key: exact only.
  { category: 'minor', names: { any: ['儿童', '未成年人', '未成年'], exact: ['minor', 'isMinor', 'minorFlag'] } },
  { category: 'minor', personal: 'person_name', names: { any: ['儿童姓名', '学生姓名', 'childName', 'kidName'] } },
  // --- non-sensitive personal information carried by the name alone --------------------------
  {
    personal: 'person_name',
    names: {
      any: ['姓名', '真实姓名', '客户姓名', '联系人姓名', '收件人姓名', '收货人姓名', '持卡人姓名', '患者姓名', '员工姓名', 'fullName', 'realName', 'personName', 'custName', 'customerName', 'buyerName', 'receiverName', 'consigneeName', 'contactName', 'cardholderName', 'holderName', 'patientName', 'passengerName', 'employeeName', 'studentName'],
      role: ['name', '名字', 'firstName', 'lastName', 'givenName', 'familyName', 'surname'],
      exact: ['xm', '客户名称', '联系人', '收件人', '收货人', '持卡人', '法定代表人', 'consignee', 'contactPerson', 'cardholder'],
    },
  },
  {
    personal: 'address',
    names: {
      any: ['住址', '家庭住址', '家庭地址', '收货地址', '收件地址', '通讯地址', '联系地址', '户籍地址', '户籍所在地', '居住地址', '现住址', 'homeAddress', 'shippingAddress', 'deliveryAddress', 'residentialAddress', 'streetAddress'],
      role: ['地址', 'address', 'addr'],
      exact: ['dz'],
    },
  },
  { personal: 'birth_date', names: { any: ['出生日期', '出生年月', '生日', 'birthday', 'birthDate', 'dateOfBirth'], exact: ['dob', 'csrq', 'birth'] } },
  { personal: 'gender', names: { any: ['性别'], role: ['gender', 'sex'], exact: ['xb'] } },
];

/**
 * Prefixes naming a person (or their contact slot) before a 'role' name: `buyerMobile`,
 * `receiver_address`, `紧急联系人电话`, `homePhone`. Normalised form.
 */
export const rolePrefixes = [
  'buyer', 'seller', 'receiver', 'recipient', 'sender', 'shipper', 'consignee', 'payer', 'payee', 'customer', 'cust',
  'client', 'user', 'member', 'account', 'holder', 'cardholder', 'owner', 'applicant', 'insured', 'policyholder',
  'beneficiary', 'patient', 'doctor', 'student', 'parent', 'guardian', 'child', 'employee', 'staff', 'driver',
  'passenger', 'traveler', 'traveller', 'guest', 'contact', 'emergencycontact', 'emergency', 'legalperson', 'person',
  'personal', 'real', 'home', 'work', 'office', 'mobile', 'primary', 'secondary', 'backup', 'other', 'first', 'last',
  'given', 'family', 'my', 'your', 'his', 'her', 'billing', 'shipping', 'delivery', 'residential', 'registered',
  '买家', '卖家', '收件人', '收货人', '寄件人', '发货人', '客户', '用户', '会员', '持卡人', '申请人', '投保人', '被保险人',
  '受益人', '患者', '病人', '学生', '家长', '监护人', '员工', '职工', '司机', '乘客', '旅客', '联系人', '紧急联系人', '本人',
  '家庭', '办公', '法人', '法定代表人',
];

/**
 * Keys that end like a personal field but are not one: a login handle is not a person's name,
 * a company's address is not personal information.
 */
export const notPersonal = [
  'username', 'userid', 'loginname', 'accountname', 'nickname', 'screenname', 'displayname', 'filename', 'hostname',
  'ipaddress', 'macaddress', 'serveraddress', 'useragent', 'accountid', 'accounttype', 'accountstatus', 'mobileos',
  'mobileapp', 'mobilemodel', 'phonemodel', 'phonebrand', 'emailtemplate', 'emailsubject', 'emailstatus',
];
