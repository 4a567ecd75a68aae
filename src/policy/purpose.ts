/**
 * Whether the findings are consistent with the exemption scenario the caller declared
 * (X-Xborder-Purpose). A contradicted purpose never refuses the transfer by itself: its
 * exemption falls away with a warning and the later steps decide (CLARIFICATIONS 10; the same
 * reading is applied to every purpose, so the outcome never depends on which exemption a caller
 * tried). The check is recorded in the decision as evidence.
 */
import type { DataType, Purpose } from '../domain.ts';
import type { Finding } from '../detect/types.ts';
import type { Destination } from './types.ts';

export interface PurposeCheck {
  purpose: Purpose;
  accepted: boolean;
  note: string;
  zh: string;
}

export const purposeArticles: Record<Purpose, { zh: string; en: string }> = {
  'no-pi-trade': { zh: '第三条', en: 'Art. 3' },
  'foreign-collected-reexport': { zh: '第四条', en: 'Art. 4' },
  'contract-necessity': { zh: '第五条第（一）项', en: 'Art. 5(1)' },
  'hr-management': { zh: '第五条第（二）项', en: 'Art. 5(2)' },
  emergency: { zh: '第五条第（三）项', en: 'Art. 5(3)' },
};

/** Resident IDs of mainland residents: every cn_resident_id value except the 71/81/82/83 prefixes detect reports. */
function mainlandResidentIds(findings: readonly Finding[]): number {
  return findings.filter((f) => f.type === 'cn_resident_id').reduce((sum, f) => sum + Math.max(0, f.count - (f.nonMainland ?? 0)), 0);
}

export function checkPurpose(purpose: Purpose, findings: readonly Finding[], types: ReadonlySet<DataType>, personalInformation: boolean, destination: Destination): PurposeCheck {
  const refuse = (note: string, zh: string): PurposeCheck => ({ purpose, accepted: false, note, zh });
  if (destination.purposes && !destination.purposes.includes(purpose)) {
    return refuse(
      `destination ${destination.id} is registered for ${destination.purposes.join(', ')} only`,
      `境外接收方 ${destination.id} 登记的用途不含 ${purpose}`,
    );
  }
  switch (purpose) {
    case 'no-pi-trade':
      // Art. 3 covers trade, transport, academic, manufacturing and marketing data WITHOUT personal information.
      if (personalInformation) return refuse('the transfer carries personal information, which Art. 3 excludes', '数据含个人信息，不符合第三条（不含个人信息）');
      break;
    case 'foreign-collected-reexport':
      // Art. 4: PI collected abroad, processed here and sent back, with no domestic PI added.
      // A mainland resident ID or mobile number is domestic PI.
      if (mainlandResidentIds(findings) > 0 || types.has('cn_mobile')) {
        return refuse(
          'a mainland resident ID or mobile number was found: domestic personal information was added, which Art. 4 excludes',
          '发现境内居民身份证号或手机号：处理过程中引入了境内个人信息，不符合第四条',
        );
      }
      break;
    case 'hr-management':
      // Art. 5(2) is about employees' personal information; children under 14 are not employees.
      if (types.has('minor')) return refuse('records of children under 14 are not employee data (Art. 5(2))', '含不满十四周岁未成年人信息，非员工个人信息，不符合第五条第（二）项');
      break;
    case 'contract-necessity':
    case 'emergency':
      break;
  }
  return { purpose, accepted: true, note: 'declared by the caller and consistent with the findings; necessity is the caller\'s declaration, recorded as evidence', zh: '由调用方声明，与检测结果一致，作为证据记录' };
}
