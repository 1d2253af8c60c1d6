// Package tally counts the votes of an assembly: the counting core of the
// decide service and of the "coopbox tally" command. It is pure Go with no
// HTTP and no storage: it takes a vote and its ballots, checks them, and
// returns a result with the ranking, the method's tables and the numbers
// that say why the winner won. The service stores ballots, computes
// delegated and proxy weights, draws charts and writes sentences (French
// and English) from those numbers; this package does none of that.
//
// # Using it
//
// A Vote says what ballots fit: its Kind, its Options (indexes into this
// slice name options everywhere), and the kind's constraints (grades,
// approval limits, best score, points). A Ballot carries a Weight and the
// fields of its kind. Count checks the vote and every ballot, then counts:
//
//	v := tally.Vote{Kind: tally.Ranked, Options: []string{"keep the statutes", "amendment A", "amendment B"}}
//	ballots := []tally.Ballot{
//		{Weight: 3, Ranking: [][]int{{1}, {0, 2}}}, // A first, then the others tied
//		{Weight: 1, Ranking: [][]int{{2}, {1}}},    // B, A; "keep" unranked: last
//	}
//	r, err := tally.Count(v, ballots, tally.Schulze, tally.Config{})
//
// A ballot that does not fit refuses the whole count with a *BallotError
// (errors.Is ErrBallot) naming the ballot's index, the Problem (a stable
// code such as "unknown_option" or "too_many_approvals") and the numbers
// involved, so the service can say it in its own words. A service checks
// each ballot as it arrives with Vote.CheckBallot, which allocates nothing
// for a ballot that fits; Count checks them all again.
//
// The Result holds Ranking (groups of tied options, best first), Winners
// (the first group: several when tied), Weight, the tables of its method
// (Totals, Averages, Pairwise, Paths, Pairs, Rounds, Profiles, NoGrade,
// MajorityGrades, Decision; the others nil), and Why: Facts, each a
// FactKind with numbers (see the FactKind constants for what each sets).
// The result marshals to JSON as it is. Nothing in the package is shared
// between calls: counts may run concurrently.
//
// # Weights
//
// Weights are integers (int64): a member's weight, plus the proxies and
// delegations they carry, or a PrefLib line's count. A service with
// colleges scales their weights to integers before counting: a member
// weighs the college's share over the college's size, times a common
// denominator. Colleges of 10, 40 and 5 members holding 50%, 30% and 20%
// of the vote give 5, 0.75 and 4 per member: weights 20, 3 and 16. A
// weight of 0 is allowed and counts for nothing; a negative one is refused.
// MaxWeight bounds one ballot, MaxTotalWeight their sum, so no table can
// overflow.
//
// # Kinds and methods
//
//	kind      ballot field         methods (first: DefaultMethod)
//	ranked    Ranking              schulze, rankedpairs, irv, plurality
//	graded    Grades               mj, approval (two grades only)
//	approval  Approved             approval
//	score     Points               score
//	dots      Points               score
//	single    Choice               plurality
//	yesno     Choice               yesno
//	dates     Grades               dates
//
// Ranked: groups of option indexes, best first; options in one group are
// tied; options in no group are tied together after every group.
//
// Graded: one grade per option, 0 (worst) to len(Vote.Grades)-1 (best), or
// NoGrade (-1). Majority judgment counts NoGrade as the worst grade, as
// Mieux Voter does, so that every option is judged by the same weight;
// Result.NoGrade shows how much weight that was.
//
// Approval: a set of options, between MinApprovals and MaxApprovals of them
// (MaxApprovals 0: no maximum). "None of these" is an ordinary option the
// service adds; with MinApprovals 1 it is how a voter approves nothing.
//
// Score: one score per option in 0..MaxScore. Dots: points per option, at
// most Points in all and MaxPerOption on one option (0: no cap).
//
// Single: Choice is an option, or Blank (-1): a blank ballot, reported in
// Result.Blank. Yes/no: Options holds three labels, yes, no, abstain, and
// Choice is Yes (0), No (1) or Abstain (2).
//
// Dates: one answer per date: DateNo (0), DateIfNeedBe (1), DateYes (2),
// or NoGrade for no answer.
//
// # The methods, and every tie-break
//
// No method breaks a tie for a place when it does not have to: tied options
// share a group, and tied winners are all in Winners, with a FactTie. The
// service decides what a tie means (a second round, a draw in the room).
// Where a method must break a tie to go on (ranked pairs' order of equal
// pairs, instant runoff's eliminations) it uses the earlier rounds where
// said, then Config.TieOrder: a permutation of the options, first
// preferred; nil means option order. A service wanting fairness draws that
// order at random in the room and records it.
//
// Plurality: the weight of each first choice; a ranked ballot counts for
// the one option of its first group, and as blank when that group is
// empty or tied. Ranking by total, equal totals tied. Approval: the weight
// approving each option (a two-grade graded ballot approves its better
// grade). Score and dots: Totals[o] is the sum of points × weight,
// Averages[o] is Totals[o] / Weight; ranking by total.
//
// Yes/no/abstain (Config.Majority): a simple majority adopts with more yes
// than no (abstentions and the base play no part; a tie rejects); an
// absolute majority with yes more than half of the base; two thirds with
// yes at least two thirds of the base. The base is the weight cast (yes +
// no: abstentions are not votes cast, "suffrages exprimés"), present (yes
// + no + abstain: abstaining weighs like no) or members (the members'
// total weight with a voting right, which the caller passes: not voting
// weighs like no). Nothing is adopted without at least one yes. Decision
// gives the weights, the base and Needed, the least yes weight that adopts.
// The ranking is [[yes] [no]] when adopted, [[no] [yes]] when not.
//
// Schulze: d[a][b] is the weight ranking a above b. A link a→b exists when
// d[a][b] > d[b][a] and has strength d[a][b] (winning votes; unlike
// Belenios, equal winning votes are not ranked further by losing votes);
// p[a][b] is the strength of the strongest path, its weakest link, found
// by a widest-path Floyd–Warshall in O(n³). a beats b when p[a][b] >
// p[b][a]. That relation is transitive but ties are not (a can tie b and c
// while b beats c), so the ranking is layered: first every option no
// option beats (the Schulze winners), then the options beaten only by
// those, and so on. A status-quo option is an option like any other. Why:
// FactCondorcet and FactBeats when the winner beats every option head to
// head, else FactPath for each other option.
//
// Ranked pairs (Tideman): every pair a over b with d[a][b] > d[b][a] is a
// victory. Victories are taken strongest first: more weight for the
// winner first, then less against; victories equal on both are ordered by
// Tideman's rule over the tie order: the one whose winner comes first, and
// with the same winner, the one whose loser comes last. Each is locked
// unless the victories locked before it already lead from its loser to
// its winner, then it is skipped (Pairs lists both). The ranking is layered
// as Schulze's over the locked graph. Why: FactLocked for the winner's
// locked victories and FactSkipped for the victories over it that were
// skipped.
//
// Instant runoff: each round a ballot counts for its highest ranked
// continuing option. A ballot whose highest group with a continuing option
// holds several continuing options is undecided that round: it counts for
// nobody but still counts in the weight a majority is taken of, and may
// count later once the tie is gone. A ballot that ranks no continuing
// option is exhausted (unranked options are not choices). An option with
// more than half of the active weight (counted plus undecided) is elected;
// so is the last one left. Otherwise the lowest count is eliminated; a tie
// for lowest is broken by the earlier rounds, latest first (the option
// that had less in the latest round where the tied options differed goes),
// then by the tie order (the option latest in it goes); Round.Tied lists
// the tie. When no ballot ranks anything, all options are tied after one
// round. The ranking is the winner, then the options still in the race
// (by final count, equal counts tied), then the eliminated, last out first.
//
// Majority judgment: Profiles[o][g] is the weight giving o grade g, worst
// first. With the grades of an option sorted worst first and W its total
// weight, the majority grade is the lower middle grade, the one at
// position ⌊(W-1)/2⌋ (0-based): at least half of the weight grades it at
// that grade or below, and more than half at or above. For an even W this
// is the lower of the two middle grades, the convention of Balinski and
// Laraki and of Mieux Voter; Belenios takes the upper one (a test checks
// that, given the scale reversed, Belenios ranks exactly as this package
// does). Options with the same majority grade are compared by removing one
// middle grade from each, again and again, until their middle grades
// differ: the better one at the first difference ranks first; options
// whose sequences never differ are tied. The comparison walks runs of
// equal grades, O(grades) per comparison whatever the weights. Why:
// FactMajorityGrade for every option (grade, weight above, weight below),
// FactTieBreak for neighbours in the ranking that shared a majority grade
// (how many middle grades were removed, and the grades found then).
// JudgeProfiles counts from profiles already summed.
//
// Date poll: Profiles[o] is [no, if need be, yes] and Totals[o] the weight
// that can come (yes + if need be). Dates rank by that, then by yes
// weight; equal on both, tied.
//
// # Limits and cost
//
// A vote has at most MaxOptions (64) options, for every method (the
// pairwise methods keep sets of options in a uint64) and at most
// MaxGrades (32) grades; scores and points at most MaxPoints (1000). A
// count costs O(ballots × options²) at worst (pairwise matrix; instant
// runoff's rounds are at most options × ballots × options), plus O(options³)
// for strongest paths. Nothing recurses on input. The counting loops
// allocate nothing per ballot: a count's allocations are its result's
// tables. The result depends only on the multiset of ballots, never on
// their order.
//
// # Ballots as JSON, files
//
// DecodeBallot is the decoder for one ballot arriving over HTTP: the JSON
// object of FORMATS.md ({"weight": 2, "ranking": [[1], [0, 2]]}), at most
// 16 KiB, checked against its vote; EncodeBallot writes it. Ballot and
// Election have no JSON tags: their JSON form depends on the vote.
//
// Read, ReadPrefLib and ReadJSON decode ballot files, which are untrusted
// input: bounded in size (MaxFileSize), line length (MaxLineLen) and
// ballots (MaxBallots); errors wrap ErrFormat and name the line; every
// ballot read is checked against its vote; fuzz targets FuzzReadPrefLib,
// FuzzReadJSON and FuzzDecodeBallot. WritePrefLib and WriteJSON write
// them; reading back and counting gives the same result. FORMATS.md
// describes the JSON format and how PrefLib files map to votes.
//
// # The command
//
// Main is "coopbox tally" ("tally --method schulze FILE"): it reads a
// PrefLib or JSON file ("-": standard input) and prints the ranking and the
// method's tables as aligned English text (PrintResult), or the Result as
// JSON with --json.
package tally
