import type { DeviceKind, DeviceProfile, RegionLevel } from '../contracts/index.js';
import { hashSeed, Random } from './random.js';

/** A jurisdiction, city → district → township (市、县、乡三级). */
export interface PlanRegion {
  id: string;
  name: string;
  level: RegionLevel;
  parentId: string | null;
}

/** A food-service unit: a restaurant, canteen or central kitchen. */
export interface PlanSite {
  id: string;
  name: string;
  regionId: string;
  address: string;
}

export interface PlanDevice {
  id: string;
  siteId: string;
  kind: DeviceKind;
  label: string;
  profile: DeviceProfile;
  expectedIntervalS: number;
}

/** Everything a demo registers: regions (parents first), sites and their devices. */
export interface DemoPlan {
  regions: PlanRegion[];
  sites: PlanSite[];
  devices: PlanDevice[];
}

export interface DemoPlanOptions {
  /** Same seed, same plan (default 1). */
  seed?: number;
  /** Number of sites (default 20). */
  sites?: number;
  /** How often every device is expected to report, seconds (default 30). */
  expectedIntervalS?: number;
}

/** 阳光市, a fictional city, with two districts and their townships/sub-districts. */
const CITY = { id: 'yangguang', name: '阳光市' } as const;
const DISTRICTS = [
  {
    id: 'yangguang.dongcheng',
    name: '东城区',
    townships: [
      { id: 'yangguang.dongcheng.huayuan', name: '花园街道' },
      { id: 'yangguang.dongcheng.xinhua', name: '新华街道' },
      { id: 'yangguang.dongcheng.qiaotou', name: '桥头镇' },
    ],
  },
  {
    id: 'yangguang.xihu',
    name: '西湖区',
    townships: [
      { id: 'yangguang.xihu.hubin', name: '湖滨街道' },
      { id: 'yangguang.xihu.liulin', name: '柳林镇' },
    ],
  },
] as const;

const NAME_HEADS = ['老王', '福满楼', '川香', '湘味', '粤港', '金禾', '江南', '渔家', '蜀香', '兰州', '老街', '和记', '鼎香', '阿婆', '一品', '聚福', '春风', '好运来', '山城', '东北人家'] as const;
const NAME_TAILS = ['面馆', '小厨', '酒家', '饭庄', '火锅', '大排档', '餐厅', '烧烤', '饺子馆', '米线', '茶餐厅', '私房菜'] as const;
/** Canteens are food-service units too, and the ones regulators watch most (schools). */
const CANTEENS = ['实验小学食堂', '第一中学食堂', '人民医院职工食堂', '中央厨房', '幼儿园食堂', '工业园职工食堂'] as const;
const STREETS = ['建设路', '人民路', '解放路', '中山路', '文化路', '和平街', '朝阳路', '光明街', '滨河路', '新华路'] as const;

/**
 * A plausible jurisdiction for demos and end-to-end tests. Pure: no I/O, and the
 * same options always give the same plan. Ids are pinyin and match the id rule;
 * names and labels are Chinese, as users see them.
 */
export function demoPlan(options: DemoPlanOptions = {}): DemoPlan {
  const rng = new Random(hashSeed(options.seed ?? 1, 'demo-plan'));
  const siteCount = options.sites ?? 20;
  const expectedIntervalS = options.expectedIntervalS ?? 30;
  if (!Number.isInteger(siteCount) || siteCount < 0 || siteCount > 9_999) throw new RangeError(`sites must be an integer 0..9999, got ${siteCount}`);

  const regions: PlanRegion[] = [{ id: CITY.id, name: CITY.name, level: 'city', parentId: null }];
  const townships: Array<{ id: string; name: string; districtName: string }> = [];
  for (const district of DISTRICTS) {
    regions.push({ id: district.id, name: district.name, level: 'district', parentId: CITY.id });
    for (const township of district.townships) {
      regions.push({ id: township.id, name: township.name, level: 'township', parentId: district.id });
      townships.push({ ...township, districtName: district.name });
    }
  }

  const sites: PlanSite[] = [];
  const devices: PlanDevice[] = [];
  const usedNames = new Set<string>();
  for (let i = 0; i < siteCount; i++) {
    // Round-robin first, so every township has sites even in a small plan.
    const township = townships[i % townships.length] as (typeof townships)[number];
    const id = `ygs-${String(i + 1).padStart(4, '0')}`;
    const name = uniqueName(rng, usedNames, i);
    const address = `${CITY.name}${township.districtName}${township.name}${rng.pick(STREETS)}${rng.int(1, 399)}号`;
    sites.push({ id, name, regionId: township.id, address });
    devices.push(...siteDevices(rng, id, expectedIntervalS));
  }
  return { regions, sites, devices };
}

function uniqueName(rng: Random, used: Set<string>, index: number): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = rng.chance(0.15) ? `${CITY.name}${rng.pick(CANTEENS)}` : `${rng.pick(NAME_HEADS)}${rng.pick(NAME_TAILS)}`;
    if (!used.has(name)) {
      used.add(name);
      return name;
    }
  }
  // A big plan runs out of combinations: a branch number keeps names unique.
  const name = `${rng.pick(NAME_HEADS)}${rng.pick(NAME_TAILS)}（${index + 1}号店）`;
  used.add(name);
  return name;
}

/** One to three temperature devices, one grease trap and one or two cameras. */
function siteDevices(rng: Random, siteId: string, expectedIntervalS: number): PlanDevice[] {
  const out: PlanDevice[] = [];
  const add = (suffix: string, kind: DeviceKind, profile: DeviceProfile, label: string) =>
    out.push({ id: `${siteId}-${suffix}`, siteId, kind, label, profile, expectedIntervalS });

  add('fridge-1', 'temperature', 'chilled', '冷藏柜 1');
  const extras: Array<() => void> = [];
  if (rng.chance(0.8)) extras.push(() => add('freezer-1', 'temperature', 'frozen', '冷冻柜'));
  if (rng.chance(0.3)) extras.push(() => add('hot-1', 'temperature', 'hot_holding', '保温柜'));
  if (rng.chance(0.25)) extras.push(() => add('fridge-2', 'temperature', 'chilled', '冷藏柜 2'));
  if (rng.chance(0.15)) extras.push(() => add('van-1', 'temperature', 'chilled', '冷链车'));
  for (const extra of extras.slice(0, 2)) extra();

  add('grease-1', 'oil_separator', 'oil_separator', '隔油池');
  add('cam-1', 'camera', 'camera', '后厨摄像头');
  if (rng.chance(0.5)) add('cam-2', 'camera', 'camera', rng.pick(['凉菜间摄像头', '洗消间摄像头', '备餐间摄像头']));
  return out;
}
