import { defaultPolicy } from '../index/policy.ts';

/**
 * Plain words for residents (bilingual, as the plaques are read in Xiamen). Case categories come
 * from the policy's own labels so a new category is named the moment the policy names it.
 */
const categoryLabels: Record<string, string> = Object.fromEntries(
  Object.entries(defaultPolicy().categories).map(([k, v]) => [k, (v as { label?: string }).label ?? k]),
);

export function categoryLabel(category: string): string {
  return categoryLabels[category] ?? category;
}

export const SUBSCORE_LABELS: Record<string, string> = {
  crime: '治安案件 Crime and public order',
  other: '矛盾纠纷 Disputes and complaints',
  survey: '居民满意度 Residents\u2019 satisfaction',
  iot: '安防报警 Confirmed security alarms',
  online: '设备在线 Security devices online',
};

export const THEME_LABELS: Record<string, string> = {
  violence: '暴力案件 violent crime',
  theft: '盗窃 theft',
  vice: '黄赌毒 drugs, gambling, prostitution',
  fraud: '诈骗 fraud',
  dispute: '纠纷 disputes and complaints',
  survey: '满意度 residents\u2019 satisfaction',
  devices: '设备 devices offline',
  online: '设备 devices offline',
  iot: '报警 security alarms',
};

export const DOWNGRADE_LABELS: Record<string, string> = {
  burglary: '入室盗窃 burglary',
  vice: '黄赌毒 drugs, gambling or prostitution',
  'fraud-den': '诈骗窝点 fraud den',
};

/** A score in words: the number alone means little to a resident. */
export function scoreWords(score: number | null): string {
  if (score === null) return '暂无数据 no data yet';
  if (score >= 90) return '很好 very good';
  if (score >= 75) return '良好 good';
  if (score >= 60) return '一般 fair';
  return '需改进 needs attention';
}

export const REPORT_CATEGORIES = {
  security: '治安隐患 security concern',
  dispute: '矛盾纠纷 dispute',
  fraud: '诈骗线索 fraud warning',
  facilities: '设施损坏 broken lights, doors or fences',
  fire: '消防隐患 fire safety',
  traffic: '交通停车 traffic and parking',
  other: '其他 other',
} as const;

export type ReportCategory = keyof typeof REPORT_CATEGORIES;

export const CHECKIN_ACTIVITIES = {
  mediation: '矛盾调解 mediation',
  'legal-publicity': '法治宣传 legal publicity',
  service: '为民服务 service',
} as const;

export type CheckinActivity = keyof typeof CHECKIN_ACTIVITIES;
