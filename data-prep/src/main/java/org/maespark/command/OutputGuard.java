package org.maespark.command;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where a command may write: never into, onto or around what it reads, and never over a folder this
 * tool did not write. Every command that replaces or deletes files checks its target here first, so
 * a mistyped {@code --output} costs an error message, not a user's data.
 */
public final class OutputGuard {
  private OutputGuard() {}

  /**
   * Refuses {@code output} when it is {@code input}, lies inside it or contains it. Both are
   * qualified Hadoop paths; local ones are compared with symbolic links resolved, so {@code file:},
   * relative and linked spellings of one folder are the same folder.
   */
  public static void refuseOverlap(String inputRole, Path input, String outputRole, Path output) {
    URI in = canonical(input).toUri();
    URI out = canonical(output).toUri();
    if (!Objects.equals(lower(in.getScheme()), lower(out.getScheme()))
        || !Objects.equals(lower(in.getAuthority()), lower(out.getAuthority()))) {
      return;
    }
    String i = trimSlash(in.getPath());
    String o = trimSlash(out.getPath());
    String how = i.equals(o) ? "is" : within(o, i) ? "is inside" : within(i, o) ? "contains" : null;
    if (how != null) {
      throw new IllegalArgumentException(
          outputRole
              + " "
              + output
              + " "
              + how
              + " "
              + inputRole
              + " "
              + input
              + "; writing there would destroy it: choose another folder");
    }
  }

  /**
   * Checks that {@code dir} may be written by a command that owns {@code recognised} folders:
   * returns false when nothing is there, true when an empty folder or one {@code recognised} (by
   * its listing) is there; refuses anything else, naming it as not a {@code kind}.
   */
  public static boolean requireOwnedOrAbsent(
      FileSystem fs, Path dir, String kind, String markers, Predicate<List<String>> recognised) {
    try {
      if (!fs.exists(dir)) {
        return false;
      }
      if (!fs.getFileStatus(dir).isDirectory()) {
        throw new IllegalArgumentException(dir + " is a file, not a " + kind + " folder");
      }
      List<String> names = new ArrayList<>();
      for (FileStatus st : fs.listStatus(dir)) {
        names.add(st.getPath().getName());
      }
      if (names.isEmpty() || recognised.test(names)) {
        return true;
      }
      throw new IllegalArgumentException(
          dir
              + " exists and is not a "
              + kind
              + " ("
              + markers
              + "); this tool replaces only what it wrote: choose another folder");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + dir, e);
    }
  }

  /** {@code p} with symbolic links resolved when it is local (as far as it exists). */
  static Path canonical(Path p) {
    if (!"file".equals(p.toUri().getScheme())) {
      return p;
    }
    java.nio.file.Path local = Paths.get(p.toUri()).normalize();
    java.nio.file.Path existing = local;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return p;
    }
    try {
      java.nio.file.Path real = existing.toRealPath().resolve(existing.relativize(local));
      return new Path(real.toUri());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + p, e);
    }
  }

  private static boolean within(String child, String parent) {
    return parent.isEmpty() || child.startsWith(parent + "/");
  }

  private static String trimSlash(String s) {
    String t = s == null ? "" : s;
    while (t.endsWith("/")) {
      t = t.substring(0, t.length() - 1);
    }
    return t;
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(java.util.Locale.ROOT);
  }
}
