package org.maespark.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
  @TempDir Path dir;

  @Test
  void overridesWinOverFileAndIncludedBase() throws Exception {
    Files.writeString(dir.resolve("base.properties"), "a.x = 1\na.y = base\n");
    Files.writeString(dir.resolve("top.properties"), "include = base.properties\na.y = top\n");
    Settings s = Settings.load(dir.resolve("top.properties"), List.of("a.x=7"));
    assertEquals(7, s.getInt("a.x", 0));
    assertEquals("top", s.getString("a.y", null));
    assertEquals(2.5, s.getDouble("a.z", 2.5));
    s.requireAllKnown();
  }

  @Test
  void unknownKeyIsRefusedByName() {
    Settings s = Settings.load(null, List.of("model.embed_dim=8", "modle.depth=2"));
    s.getInt("model.embed_dim", 0);
    ConfigException e = assertThrows(ConfigException.class, s::requireAllKnown);
    assertTrue(e.getMessage().contains("modle.depth"), e.getMessage());
  }

  @Test
  void badValueNamesKeyValueAndSource() {
    Settings s = Settings.load(null, List.of("train.epochs=ten"));
    ConfigException e = assertThrows(ConfigException.class, () -> s.getInt("train.epochs", 1));
    assertTrue(e.getMessage().contains("train.epochs"), e.getMessage());
    assertTrue(e.getMessage().contains("ten"), e.getMessage());
    assertTrue(e.getMessage().contains("command line"), e.getMessage());
  }

  @Test
  void malformedOverrideAndMissingFileAreRefused() {
    assertThrows(ConfigException.class, () -> Settings.load(null, List.of("novalue")));
    assertThrows(ConfigException.class, () -> Settings.load(dir.resolve("nope"), List.of()));
  }

  @Test
  void propertiesTextRoundTrips() {
    Settings s = Settings.load(null, List.of("b=2", "a=x y"));
    Settings back = Settings.parse(s.toPropertiesText());
    assertEquals(s.values(), back.values());
  }

  enum Mode {
    PARAMETER_AVERAGING,
    GRADIENT_SHARING
  }

  @Test
  void enumsAreSpelledInLowerCaseAndRefusedByNameWithTheChoices() {
    Settings s = Settings.load(null, List.of("t.mode=gradient_sharing", "t.bad=GRADIENT_SHARING"));
    assertEquals(Mode.GRADIENT_SHARING, s.getEnum("t.mode", Mode.PARAMETER_AVERAGING, Mode.class));
    assertEquals(
        Mode.PARAMETER_AVERAGING, s.getEnum("t.absent", Mode.PARAMETER_AVERAGING, Mode.class));
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> s.getEnum("t.bad", Mode.PARAMETER_AVERAGING, Mode.class));
    assertTrue(e.getMessage().contains("'t.bad' = 'GRADIENT_SHARING'"), e.getMessage());
    assertTrue(
        e.getMessage().contains("one of parameter_averaging, gradient_sharing"), e.getMessage());
  }
}
