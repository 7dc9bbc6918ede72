package org.maespark.train.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.parameterserver.distributed.v2.transport.impl.StaticPortSupplier;

class SharingPortSupplierTest {

  /** The DL4J defect this class replaces: the configured port is dropped. */
  @Test
  void dl4jStaticPortSupplierIgnoresItsPort() {
    assertEquals(49876, new StaticPortSupplier(40500).getPort());
  }

  @Test
  void driverGetsTheControllerPortAlsoAfterSerialization() throws Exception {
    SharingPortSupplier s = new SharingPortSupplier(40500, 100);
    assertEquals(40500, s.getPort()); // no Spark executor in this JVM: the driver's port
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(b)) {
      o.writeObject(s);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b.toByteArray()))) {
      assertEquals(40500, ((SharingPortSupplier) in.readObject()).getPort());
    }
  }

  @Test
  void executorsOnOneHostGetDistinctPortsInTheRange() {
    SharingPortSupplier s = new SharingPortSupplier(40500, 100);
    Set<Integer> taken = new HashSet<>();
    for (String id : List.of("0", "1", "2", "3", "17", "42")) {
      // each executor binds its port, so a later one finds it busy
      int p = s.executorPort(id, port -> !taken.contains(port));
      assertTrue(p > 40500 && p <= 40600, "port " + p + " outside 40501..40600");
      assertTrue(taken.add(p), "executor " + id + " got port " + p + " twice");
    }
    // an id that wraps onto a busy port moves on to the next free one
    int wrapped = s.executorPort("101", port -> !taken.contains(port));
    assertFalse(taken.contains(wrapped));
    assertNotEquals(40500, wrapped);
  }

  @Test
  void busyRealPortIsSkipped() throws Exception {
    try (DatagramSocket held = new DatagramSocket(null)) {
      held.bind(new InetSocketAddress(0));
      int busy = held.getLocalPort();
      SharingPortSupplier s = new SharingPortSupplier(busy - 1, 2);
      assertFalse(SharingPortSupplier.udpPortFree(busy));
      assertEquals(busy + 1, s.executorPort("0", port -> port != busy));
      assertNotEquals(busy, s.executorPort("0", SharingPortSupplier::udpPortFree));
    }
  }

  @Test
  void noFreePortIsAClearError() {
    SharingPortSupplier s = new SharingPortSupplier(40500, 3);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> s.executorPort("7", port -> false));
    assertTrue(e.getMessage().contains("executor 7"), e.getMessage());
    assertTrue(e.getMessage().contains("40501..40503"), e.getMessage());
  }
}
