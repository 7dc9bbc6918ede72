package org.maespark.data;

import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.util.Locale;

/**
 * JPEG decoding with libjpeg-turbo's TurboJPEG C API (the library djpeg and Pillow use), through
 * JNA, when {@code libturbojpeg} is installed (Debian/Ubuntu: {@code libturbojpeg0}). SIMD decoding
 * is several times faster than the JDK's libjpeg 6b, and DCT-domain scaling (1/2, 1/4, 1/8) decodes
 * huge images small directly. Same IDCT (islow) and upsampling as the JDK's decoder and Pillow's,
 * so the pixels agree.
 *
 * <p>Greyscale and YCbCr/RGB JPEGs only: CMYK/YCCK return null and go to ImageIO (TwelveMonkeys),
 * which handles Adobe's inverted CMYK. Not thread-safe: one instance per task.
 */
final class TurboJpeg implements AutoCloseable {
  private static final int TJPF_RGB = 0;
  private static final int TJPF_GRAY = 6;
  private static final int TJCS_GRAY = 2;
  private static final int TJCS_CMYK = 3;
  private static final int TJCS_YCCK = 4;
  private static final int TJERR_WARNING = 0;
  private static final String LOAD_ERROR = load();

  private Pointer handle;

  /** Null when the library loaded, else why not. */
  static String loadError() {
    return LOAD_ERROR;
  }

  static boolean available() {
    return LOAD_ERROR == null;
  }

  TurboJpeg() {
    if (!available()) {
      throw new IllegalStateException("libturbojpeg is not available: " + LOAD_ERROR);
    }
    handle = tjInitDecompress();
  }

  /** Header facts: width, height, colour space. */
  record Header(int width, int height, int colorspace) {}

  Header header(byte[] jpeg) throws RejectException {
    IntByReference w = new IntByReference();
    IntByReference h = new IntByReference();
    IntByReference ss = new IntByReference();
    IntByReference cs = new IntByReference();
    if (tjDecompressHeader3(handle, jpeg, new NativeLong(jpeg.length), w, h, ss, cs) != 0) {
      throw failed("decode", tjGetErrorStr2(handle));
    }
    if (w.getValue() <= 0 || h.getValue() <= 0) { // random bytes after a JPEG marker can get here
      throw failed(
          "decode", "no frame header (image size " + w.getValue() + "x" + h.getValue() + ")");
    }
    return new Header(w.getValue(), h.getValue(), cs.getValue());
  }

  static boolean isCmyk(Header h) {
    return h.colorspace() == TJCS_CMYK || h.colorspace() == TJCS_YCCK;
  }

  /**
   * Decodes at 1/{@code denom} scale (1, 2, 4 or 8), grey as 1 channel and colour as RGB. Truncated
   * data is rejected; harmless warnings (extraneous bytes) are not.
   */
  Pixels decode(byte[] jpeg, Header h, int denom) throws RejectException {
    int w = (h.width() + denom - 1) / denom; // libjpeg rounds scaled sizes up
    int hh = (h.height() + denom - 1) / denom;
    boolean grey = h.colorspace() == TJCS_GRAY;
    int c = grey ? 1 : 3;
    byte[] out = new byte[w * hh * c];
    int rc =
        tjDecompress2(
            handle,
            jpeg,
            new NativeLong(jpeg.length),
            out,
            w,
            w * c,
            hh,
            grey ? TJPF_GRAY : TJPF_RGB,
            0);
    if (rc != 0) {
      String msg = tjGetErrorStr2(handle);
      String m = msg.toLowerCase(Locale.ROOT);
      if (m.contains("premature end")) {
        throw failed("truncated", msg);
      }
      boolean harmless = tjGetErrorCode(handle) == TJERR_WARNING && m.contains("extraneous bytes");
      if (!harmless) {
        throw failed("decode", msg);
      }
    }
    return new Pixels(out, w, hh, c);
  }

  /** A reject; the handle is replaced, since TurboJPEG keeps error state in it. */
  private RejectException failed(String stage, String msg) {
    tjDestroy(handle);
    handle = tjInitDecompress();
    return new RejectException(stage, "jpeg: " + msg);
  }

  @Override
  public void close() {
    if (handle != null) {
      tjDestroy(handle);
      handle = null;
    }
  }

  private static String load() {
    String last = null;
    // the runtime package ships only the versioned name; the -dev package adds libturbojpeg.so
    for (String name : new String[] {"turbojpeg", "libturbojpeg.so.0"}) {
      try {
        Native.register(TurboJpeg.class, name);
        return null;
      } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
        last = e.getMessage();
      }
    }
    return last;
  }

  private static native Pointer tjInitDecompress();

  private static native int tjDecompressHeader3(
      Pointer handle,
      byte[] jpeg,
      NativeLong size,
      IntByReference width,
      IntByReference height,
      IntByReference subsamp,
      IntByReference colorspace);

  private static native int tjDecompress2(
      Pointer handle,
      byte[] jpeg,
      NativeLong size,
      byte[] dst,
      int width,
      int pitch,
      int height,
      int pixelFormat,
      int flags);

  private static native String tjGetErrorStr2(Pointer handle);

  private static native int tjGetErrorCode(Pointer handle);

  private static native int tjDestroy(Pointer handle);
}
