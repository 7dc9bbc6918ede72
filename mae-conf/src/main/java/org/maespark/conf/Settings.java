package org.maespark.conf;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Resolved configuration: flat dotted keys ({@code model.embed_dim}) read from a properties file,
 * then overridden by {@code key=value} pairs from the command line (file &lt; overrides).
 *
 * <p>Config records read their keys through the typed getters, which remember every key asked for;
 * {@link #requireAllKnown()} then refuses any key nobody asked for, so a typo fails before any work
 * starts instead of being silently ignored. A file may name a base file with {@code include =
 * other.properties} (relative to itself); the including file wins.
 */
public final class Settings {
  private final Map<String, String> values;
  private final Map<String, String> sources;
  private final Set<String> known = new TreeSet<>();

  private Settings(Map<String, String> values, Map<String, String> sources) {
    this.values = values;
    this.sources = sources;
  }

  /** Empty settings: every getter returns its default. */
  public static Settings empty() {
    return new Settings(new TreeMap<>(), new TreeMap<>());
  }

  /** Reads {@code file} (may be null for none) and applies {@code overrides} ("key=value"). */
  public static Settings load(Path file, List<String> overrides) {
    Map<String, String> values = new TreeMap<>();
    Map<String, String> sources = new TreeMap<>();
    if (file != null) {
      readFile(file, values, sources, 0);
    }
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("override '" + o + "' is not of the form key=value");
      }
      String key = o.substring(0, eq).trim();
      values.put(key, o.substring(eq + 1).trim());
      sources.put(key, "command line");
    }
    return new Settings(values, sources);
  }

  /** Parses properties text, e.g. a resolved configuration saved in a checkpoint. */
  public static Settings parse(String propertiesText) {
    Map<String, String> values = new TreeMap<>();
    Map<String, String> sources = new TreeMap<>();
    Properties p = new Properties();
    try {
      p.load(new StringReader(propertiesText));
    } catch (IOException e) {
      throw new ConfigException("cannot parse configuration: " + e.getMessage());
    }
    p.stringPropertyNames().forEach(k -> values.put(k, p.getProperty(k).trim()));
    values.keySet().forEach(k -> sources.put(k, "text"));
    return new Settings(values, sources);
  }

  private static void readFile(
      Path file, Map<String, String> values, Map<String, String> sources, int depth) {
    if (depth > 8) {
      throw new ConfigException(file + ": include chain deeper than 8 (a cycle?)");
    }
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("config file " + file + " does not exist");
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file);
        Reader r = new java.io.InputStreamReader(in, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
    String include = p.getProperty("include");
    if (include != null) {
      Path base = file.toAbsolutePath().getParent().resolve(include.trim());
      readFile(base, values, sources, depth + 1);
    }
    for (String k : p.stringPropertyNames()) {
      if (!k.equals("include")) {
        values.put(k, p.getProperty(k).trim());
        sources.put(k, file.toString());
      }
    }
  }

  /** This configuration with one more override applied. */
  public Settings with(String key, String value) {
    Map<String, String> v = new TreeMap<>(values);
    Map<String, String> s = new TreeMap<>(sources);
    v.put(key, value);
    s.put(key, "code");
    return new Settings(v, s);
  }

  public boolean has(String key) {
    known.add(key);
    return values.containsKey(key);
  }

  public String getString(String key, String def) {
    known.add(key);
    return values.getOrDefault(key, def);
  }

  public int getInt(String key, int def) {
    String v = getString(key, null);
    if (v == null) {
      return def;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw bad(key, v, "an integer");
    }
  }

  public long getLong(String key, long def) {
    String v = getString(key, null);
    if (v == null) {
      return def;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw bad(key, v, "an integer");
    }
  }

  public double getDouble(String key, double def) {
    String v = getString(key, null);
    if (v == null) {
      return def;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw bad(key, v, "a number");
    }
  }

  public boolean getBoolean(String key, boolean def) {
    String v = getString(key, null);
    if (v == null) {
      return def;
    }
    return switch (v.toLowerCase()) {
      case "true", "yes", "on" -> true;
      case "false", "no", "off" -> false;
      default -> throw bad(key, v, "true or false");
    };
  }

  /** One of {@code allowed} (case-sensitive), or {@code def} when unset. */
  public String getChoice(String key, String def, String... allowed) {
    String v = getString(key, def);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw bad(key, v, "one of " + String.join(", ", allowed));
  }

  /**
   * {@code key} as a constant of the closed set {@code type}, spelled in the file as the constant's
   * lower-case name ({@code rrc}, {@code parameter_averaging}); refused as {@link #getChoice} does.
   */
  public <E extends Enum<E>> E getEnum(String key, E def, Class<E> type) {
    E[] all = type.getEnumConstants();
    String[] names = new String[all.length];
    for (int i = 0; i < all.length; i++) {
      names[i] = configName(all[i]);
    }
    String v = getChoice(key, configName(def), names);
    return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
  }

  /** How an enum constant is spelled in a config file: its name in lower case. */
  public static String configName(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  private ConfigException bad(String key, String value, String expected) {
    return new ConfigException(
        "config key '"
            + key
            + "' = '"
            + value
            + "' (from "
            + sources.getOrDefault(key, "?")
            + "): expected "
            + expected);
  }

  /** Refuses keys that no config record asked for (typos, keys of another version). */
  public void requireAllKnown() {
    Set<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      String k = unknown.iterator().next();
      throw new ConfigException(
          "unknown config key '"
              + k
              + "' (from "
              + sources.get(k)
              + ")"
              + (unknown.size() > 1 ? " and " + (unknown.size() - 1) + " more: " + unknown : ""));
    }
  }

  /** All explicitly set values, sorted by key. */
  public Map<String, String> values() {
    return Collections.unmodifiableMap(values);
  }

  /** Properties text of the explicitly set values, sorted, for logs and checkpoints. */
  public String toPropertiesText() {
    StringBuilder sb = new StringBuilder();
    values.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
    return sb.toString();
  }
}
