package io.opnp.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClassCoverageTest {
  @Test
  void countsTheClassesWithAtLeastOneTrainingRow() {
    ClassCoverage c = ClassCoverage.of(new long[] {250, 0, 3, 0, 0, 1, 0, 0, 0, 0}, 0.5);
    assertEquals(3, c.covered());
    assertEquals(10, c.classes());
    assertEquals(0.3, c.share(), 1e-15);
  }

  @Test
  void classFitsAreAllowedFromTheMinimumShareOn() {
    long[] half = {1, 1, 0, 0};
    assertTrue(ClassCoverage.of(half, 0.5).allowsClassFits());
    assertFalse(ClassCoverage.of(half, 0.51).allowsClassFits());
    assertTrue(ClassCoverage.of(new long[] {0, 0, 0, 1}, 0).allowsClassFits(), "0 turns the check off");
  }

  @Test
  void aMinimumShareOutsideZeroToOneIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClassCoverage.of(new long[] {1, 1}, 50));
    assertTrue(e.getMessage().contains("50"), e.getMessage());
  }
}
