export function parse(body) {
  return { ...body, amount: Number(body.amount) };
}

// A class step: built once with its args, `do` runs per event.
export class UserLookup {
  constructor(args) {
    this.users = new Map(Object.entries(args.users));
  }
  async do(userId) {
    return this.users.get(userId) ?? { tier: "unknown" };
  }
}

const highRisk = new Set(["XX", "YY"]);
export async function countryRisk(body) {
  return { country: body.country, risk: highRisk.has(body.country) ? "high" : "low" };
}

// A join: receives {user: <output of user>, risk: <output of risk>}.
export function decide({ user, risk }) {
  const limit = user.profile.tier === "gold" ? 1000 : 100;
  const approved = risk.risk === "low" && user.amount <= limit;
  return { user: user.user, amount: user.amount, tier: user.profile.tier, risk: risk.risk, approved };
}
