// Your single-decree Paxos. Implement each TODO in the order the README
// gives (part 1: one proposer; part 2: competing proposers; part 3:
// crashes and loss). "Paxos Made Simple", section 2, is the specification.
//
// Rules of the simulator: no clocks, threads, sleeps or global state; use
// ctx.rng() for randomness (e.g. a random backoff before retrying).
#include "paxos_lab.h"

namespace paxoslab {

// At start and after a restart (acceptor state already loaded).
void PaxosLab::start(dsim::Context& ctx) {
  // TODO (part 1): a proposer starts its first round after cfg_.start:
  // set_retry_timer(ctx, cfg_.start) and begin in on_retry_timeout.
  (void)ctx;
}

void PaxosLab::on_retry_timeout(dsim::Context& ctx) {
  // TODO (part 1): start a round: announce your value once (propose), pick
  // a ballot (make_ballot) and send_prepare; set the retry timer so that a
  // round that stalls starts over.
  // TODO (part 2): pick a ballot above every ballot you have seen, and add
  // a random backoff so two proposers do not preempt each other forever.
  (void)ctx;
}

void PaxosLab::handle_prepare(dsim::Context& ctx, dsim::NodeId from, const Prepare& m) {
  // TODO (part 1): promise a ballot higher than any promised; nack otherwise.
  (void)ctx, (void)from, (void)m;
}

void PaxosLab::handle_promise(dsim::Context& ctx, dsim::NodeId from, const Promise& m) {
  // TODO (part 1): count promises for your current ballot; with a majority
  // send_accept. TODO (part 2): propose the value of the highest-ballot
  // proposal any promise reports, and your own only if none does.
  (void)ctx, (void)from, (void)m;
}

void PaxosLab::handle_nack(dsim::Context& ctx, dsim::NodeId from, const Nack& m) {
  // TODO (part 2): a higher ballot is out there: remember it, and retry
  // above it later.
  (void)ctx, (void)from, (void)m;
}

void PaxosLab::handle_accept(dsim::Context& ctx, dsim::NodeId from, const Accept& m) {
  // TODO (part 1): accept unless it breaks a promise (a lower ballot); nack otherwise.
  (void)ctx, (void)from, (void)m;
}

void PaxosLab::handle_accepted(dsim::Context& ctx, dsim::NodeId from, const Accepted& m) {
  // TODO (part 1): a learner learns a value once a majority of acceptors
  // accepted the same (ballot, value). Count each acceptor once.
  (void)ctx, (void)from, (void)m;
}

}  // namespace paxoslab
