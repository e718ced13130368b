// A guest that rewrites its own code: `add x0, x0, #imm` at `target`, with imm = 1, 2,
// ... `rounds`, cleaned to the point of unification and called after each write, then
// `hvc #0x77`. X0 ends as rounds * (rounds + 1) / 2 only if every rewrite was seen, so
// the JIT tests use it to pass the code-cache bound and to race stale compiles.
export function rewriterProgram(rounds: number): string {
  return `
  adr x1, target
  ldr w2, =0x91000400
  mov x3, #${rounds}
round:
  str w2, [x1]
  dc cvau, x1
  dsb ish
  ic ivau, x1
  dsb ish
  isb
  blr x1
  add w2, w2, #0x400
  subs x3, x3, #1
  b.ne round
  hvc #0x77
  .ltorg
  .balign 4096
target:
  nop
  ret
`;
}
