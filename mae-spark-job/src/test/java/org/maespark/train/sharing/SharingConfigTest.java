package org.maespark.train.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;

class SharingConfigTest {

  @Test
  void defaults() {
    SharingConfig c = SharingConfig.fromSettings(Settings.load(null, List.of()));
    assertEquals(new SharingConfig(40123, 1000, "", 900), c);
  }

  @Test
  void badValuesNameTheKeyAndValue() {
    for (String[] bad :
        new String[][] {
          {"train.sharing_controller_port=80", "'train.sharing_controller_port' = 80"},
          {"train.sharing_executor_ports=0", "'train.sharing_executor_ports' = 0"},
          {"train.sharing_network_mask=10.0.0.0", "'train.sharing_network_mask' = '10.0.0.0'"},
          {"train.sharing_stall_timeout_s=0", "'train.sharing_stall_timeout_s' = 0"},
        }) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () -> SharingConfig.fromSettings(Settings.load(null, List.of(bad[0]))));
      assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
    }
  }
}
