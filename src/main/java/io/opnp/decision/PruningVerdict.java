package io.opnp.decision;

/**
 * Whether the best pruning detector beats the plain baseline (e.g. energy) on the selection
 * criterion. The candidates are null, and their criteria NaN, when none of that kind was evaluated.
 */
public record PruningVerdict(Candidate bestPruning, Candidate baseline, double bestPruningCriterion,
    double baselineCriterion, boolean helps, String reason) {}
