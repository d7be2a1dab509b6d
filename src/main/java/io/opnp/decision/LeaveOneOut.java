package io.opnp.decision;

/**
 * The selection redone without one proxy: whether the choice hinges on it, and how the detector
 * chosen without it does on it, an honest score on a kind of OOD input the choice did not see.
 */
public record LeaveOneOut(String leftOut, Candidate chosenWithout, boolean changed,
    double leftOutAurocOfChosenWithout) {}
