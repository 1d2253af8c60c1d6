// Package liquid computes who weighs what in a live assembly: members'
// integer weights (colleges), proxies ("pouvoirs") and the live quorum, and
// the weight of every ballot of an open vote under liquid delegation. It is
// pure computation: no HTTP, no storage, no clock, no goroutine. The decide
// service stores the roll, the presence, the proxies, the delegations and
// the ballots, and calls this package to turn them into numbers.
//
// # Weights and colleges
//
// Weights, and NewRoll through it, give every member with a voting right an
// int64 weight; members without one weigh 0. Without colleges a member
// weighs their shares (1 by default). With colleges, each college holds a
// fixed share of the vote, split among its voting members by shares; the
// weights are scaled to a common denominator so that they are exact
// integers (the method and an example are on Weights). A configuration
// whose total would not fit in an int64 is refused with ErrOverflow; any
// sum of weights is then at most the total, so tallies cannot overflow.
//
// # Presence, proxies and quorum: Roll
//
// A Roll is the roll during the meeting. CheckIn and CheckOut move members
// in and out; GiveProxy and WithdrawProxy register proxies. The rules:
//
//   - A proxy counts while its carrier is present and its giver absent.
//   - A carrier holds at most Rules.MaxProxies proxies (default 2, negative:
//     no proxies), counting or not; the next one is refused (ErrProxyLimit).
//   - A proxy is not transitive: a carrier's proxies count only while the
//     carrier is present, and then the carrier's own proxy does not count,
//     so a proxy is never passed on.
//   - A giver who arrives takes their vote back: CheckIn revokes the proxy
//     (and returns it). Leaving again needs a new proxy.
//   - Giving a new proxy replaces the giver's previous one.
//
// Quorum returns the live quorum (present; present or represented by a
// counting proxy; required, as a fraction of heads or of weight) in O(1):
// every change moves counters, in time bounded by the proxy limit.
// Recount computes the same from scratch; the tests check they agree.
//
// # Weighing a vote: Weigh
//
// When a vote closes the service takes a Snapshot (Roll.Snapshot for the
// members and the counting proxies; the stored delegations; the direct
// voters; the question, its topic; the box's clock) and calls Weigh. Every
// member's own weight goes to exactly one ballot or is lost, by the first
// rule that applies:
//
//  1. A member who voted casts their own weight. A direct vote overrides
//     their delegation and their proxy; weight that flows to them stays
//     with them.
//  2. A member with a counting proxy: the carrier casts the weight, or, if
//     the carrier did not vote, it is lost (ReasonProxyUnused). A counting
//     proxy wins over the member's delegation, which is suspended
//     (reported as IgnoredProxy); as a proxy is personal, weight delegated
//     to such a member stops at them and is lost (ReasonChainEnd).
//  3. Otherwise the member's delegation for this question, if any, is
//     followed, transitively, to the first member who voted, who casts it.
//     The weight is lost if the chain ends at a member who did not vote and
//     delegates no further (ReasonChainEnd; ReasonNoVote when that is the
//     member themselves) or runs into a loop in which nobody voted
//     (ReasonCycle, the loop listed in Result.Cycles). A loop in which
//     someone votes is no loop: the voter's delegation is overridden.
//
// A carrier's ballot carries their own weight, their proxies and the weight
// delegated to them. Proxies are not passed on by delegation either: a
// carrier who does not vote loses the proxies they carry, while their own
// weight follows their delegation.
//
// Choosing a member's delegation for a question: delegations of other
// questions and other topics are skipped; among the rest, the narrowest
// scope wins (question, then the question's topic, then global), then the
// latest Created, then the later one in the input. A delegation to nobody
// (To empty, or to oneself) wins like any other and so blocks a wider one.
// A delegation that cannot apply is skipped and reported in Result.Ignored,
// so a wider one applies in its place: expired (Now at or past Expires, or
// Created + Policy.MaxAge), or from or to a member who is no longer on the
// roll or has no voting right. Now is compared only with these stored
// times, never with anything else.
//
// The cap, Policy.MaxDelegated, bounds the delegated weight one voter casts,
// on top of their own weight and proxies, which it never cuts. It applies
// where the weight is cast: a delegate who does not vote carries nothing in
// the end. The excess is lost (ReasonCap, one Loss per capped voter); it is
// not pinned on particular delegators, whose traces say Capped.
//
// Delegation applies to open votes only: a Snapshot with Secret set and any
// delegation is refused (ErrSecretDelegation). A secret vote still counts
// proxies: the carrier receives a ballot for each.
//
// # What a result says
//
// Result.Casts gives, per voter, the weight cast and its parts: own,
// proxies (with the givers), delegated (with every member whose weight
// arrived, nearest first) and capped. Result.Losses gives every lost share
// with its reason and where it stopped; Result.Lost sums them by reason, and
// Cast + Lost.Sum() == Total, the weight of members with a voting right.
// Result.Trace gives any member's chain, step by step with the delegation
// followed at each step, and the voter whose ballot carried their weight:
// on an open vote, what a delegator is shown. Result.Weight is what the
// tally multiplies a ballot by.
//
// # Cost
//
// Weigh is O(members + delegations + proxies + voters) in time and memory.
// Each member's delegate is chosen in one pass over the delegations; the
// chains are then resolved as a functional graph: each walk follows
// delegates on an explicit slice (never the call stack) and stops at the
// first member already resolved, so every member is walked once, whatever
// the length of the chains. No chain length limit is needed, and there is
// none. Result.Trace costs the length of one chain. Invalid input (an
// empty or repeated id, a voter without a voting right, a malformed
// delegation) is an error wrapping ErrInvalid, ErrUnknownMember or
// ErrNoVotingRight, never a panic; what the assembly can legitimately reach
// (a delegation to someone removed from the roll) is reported, not refused.
package liquid
