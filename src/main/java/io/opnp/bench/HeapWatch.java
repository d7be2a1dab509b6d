package io.opnp.bench;

import io.opnp.eval.StageTimes;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * This JVM's heap as the garbage collector leaves it: after every collection the heap pools' used
 * bytes are summed, and the largest such sum is the peak (what the JVM held, not the garbage it
 * had not collected yet). Kept per stage of a {@link StageTimes} run and overall.
 */
final class HeapWatch implements StageTimes.Observer, NotificationListener, AutoCloseable {
  private volatile long peak;
  private volatile long stagePeak;
  private final Map<String, Long> byStage = new LinkedHashMap<>();

  HeapWatch() {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener(this, null, null);
    }
  }

  /** Forgets the peaks so far, after a full collection (the start of a measured run). */
  void reset() {
    System.gc();
    long now = usedNow();
    peak = now;
    stagePeak = now;
    synchronized (byStage) {
      byStage.clear();
    }
  }

  long peak() {
    return peak;
  }

  Map<String, Long> byStage() {
    synchronized (byStage) {
      return new LinkedHashMap<>(byStage);
    }
  }

  @Override
  public void started(String stage) {
    stagePeak = 0;
  }

  @Override
  public void finished(StageTimes.Stage stage) {
    // A collection at the end of the stage shows what it left behind; its peak is the largest seen.
    System.gc();
    long live = usedNow();
    peak = Math.max(peak, live);
    synchronized (byStage) {
      byStage.put(stage.name(), Math.max(stagePeak, live));
    }
  }

  @Override
  public void handleNotification(Notification n, Object handback) {
    if (!"com.sun.management.gc.notification".equals(n.getType())) {
      return;
    }
    CompositeData info = (CompositeData) n.getUserData();
    CompositeData gcInfo = (CompositeData) info.get("gcInfo");
    @SuppressWarnings("unchecked")
    var after = (javax.management.openmbean.TabularData) gcInfo.get("memoryUsageAfterGc");
    long used = 0;
    for (Object row : after.values()) {
      CompositeData r = (CompositeData) row;
      String pool = (String) r.get("key");
      if (isHeap(pool)) {
        used += MemoryUsage.from((CompositeData) r.get("value")).getUsed();
      }
    }
    if (used > peak) {
      peak = used;
    }
    if (used > stagePeak) {
      stagePeak = used;
    }
  }

  private static long usedNow() {
    long used = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        used += p.getUsage().getUsed();
      }
    }
    return used;
  }

  private static boolean isHeap(String pool) {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getName().equals(pool)) {
        return p.getType() == MemoryType.HEAP;
      }
    }
    return false;
  }

  @Override
  public void close() {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      try {
        ((NotificationEmitter) gc).removeNotificationListener(this);
      } catch (javax.management.ListenerNotFoundException ignored) {
        // never added
      }
    }
  }
}
