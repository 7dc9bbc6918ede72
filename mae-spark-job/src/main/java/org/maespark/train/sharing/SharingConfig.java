package org.maespark.train.sharing;

import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;

/**
 * Gradient-sharing settings ({@code train.sharing_*}); the threshold keys live in {@code
 * TrainConfig}.
 *
 * @param controllerPort UDP port of the driver's parameter server (Aeron); executors reach it at
 *     {@code spark.driver.host}
 * @param executorPorts executors bind one UDP port each in {@code controllerPort + 1 ..
 *     controllerPort + executorPorts} (open that range between the hosts)
 * @param networkMask CIDR of the network the executors advertise their own address on (e.g. {@code
 *     10.0.0.0/8}); empty = loopback, which only works when all executors share the driver's host
 * @param stallTimeoutSeconds a fit fails when no gradient update reaches the driver for this long
 *     (a lost executor otherwise hangs the job forever); must exceed the slowest step plus the
 *     partition's data preparation
 */
public record SharingConfig(
    int controllerPort, int executorPorts, String networkMask, int stallTimeoutSeconds) {

  public SharingConfig {
    if (controllerPort < 1024 || controllerPort > 65535) {
      throw new ConfigException(
          "config key 'train.sharing_controller_port' = "
              + controllerPort
              + ": expected a UDP port in 1024..65535");
    }
    if (executorPorts < 1 || controllerPort + executorPorts > 65535) {
      throw new ConfigException(
          "config key 'train.sharing_executor_ports' = "
              + executorPorts
              + ": expected >= 1 with train.sharing_controller_port + executor_ports <= 65535"
              + " (controller port "
              + controllerPort
              + ")");
    }
    if (networkMask == null
        || !(networkMask.isEmpty() || networkMask.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}"))) {
      throw new ConfigException(
          "config key 'train.sharing_network_mask' = '"
              + networkMask
              + "': expected empty or an IPv4 CIDR such as 10.0.0.0/8");
    }
    if (stallTimeoutSeconds < 1) {
      throw new ConfigException(
          "config key 'train.sharing_stall_timeout_s' = "
              + stallTimeoutSeconds
              + ": expected >= 1");
    }
  }

  /** Reads {@code train.sharing_*}; absent keys take the defaults. */
  public static SharingConfig fromSettings(Settings s) {
    return new SharingConfig(
        s.getInt("train.sharing_controller_port", 40123),
        s.getInt("train.sharing_executor_ports", 1000),
        s.getString("train.sharing_network_mask", ""),
        s.getInt("train.sharing_stall_timeout_s", 900));
  }
}
