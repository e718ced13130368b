// ConditionHolds (Arm ARM J1, shared/functions/system) for FCSEL and FCCMP.

/** Whether condition `cond` (4 bits) holds for NZCV held in bits 31:28 of `nzcv`. */
export function conditionHolds(cond: number, nzcv: number): boolean {
  const n = (nzcv >>> 31) & 1;
  const z = (nzcv >>> 30) & 1;
  const c = (nzcv >>> 29) & 1;
  const v = (nzcv >>> 28) & 1;
  let result: boolean;
  switch (cond >>> 1) {
    case 0:
      result = z === 1;
      break;
    case 1:
      result = c === 1;
      break;
    case 2:
      result = n === 1;
      break;
    case 3:
      result = v === 1;
      break;
    case 4:
      result = c === 1 && z === 0;
      break;
    case 5:
      result = n === v;
      break;
    case 6:
      result = n === v && z === 0;
      break;
    default:
      result = true;
  }
  // Odd conditions negate, except 1111 (NV), which is "always" like 1110.
  return (cond & 1) === 1 && cond !== 0xf ? !result : result;
}
