package io.opnp.spark;

import io.opnp.math.LinearHead;
import java.io.Serializable;

/** The original and the OPNP-pruned head, broadcast to score with both in one pass. */
record ScoringHeads(LinearHead original, LinearHead pruned, double temperature) implements Serializable {}
