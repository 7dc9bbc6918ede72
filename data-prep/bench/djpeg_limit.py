#!/usr/bin/python3
"""Raw JPEG decode limit of a tree with libjpeg-turbo's djpeg, per core.

    djpeg_limit.py TREE

Runs `djpeg -outfile /dev/null` on every .JPEG/.jpg/.png file (one process at a time = one core)
and sums each child's user+sys CPU time (os.wait4), so time spent waiting for fork/exec in other
processes is not counted. The cost of merely starting djpeg (measured on a 1x1 JPEG) is reported
and subtracted in the second figure. Non-JPEG and broken files count: djpeg fails on them fast.
"""
import os
import subprocess
import sys
import tempfile
import time


def cpu_of(cmd):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return ru.ru_utime + ru.ru_stime


def main():
    tree = sys.argv[1]
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(tree) for f in fs
                   if f.lower().endswith(('.jpeg', '.jpg', '.png')))
    one = os.path.join(tempfile.gettempdir(), 'djpeg-1x1.jpg')
    with open(one, 'wb') as f:   # a 1x1 baseline JPEG made by cjpeg from a 1x1 PPM
        f.write(subprocess.run(['cjpeg'], input=b'P6\n1 1\n255\n\x80\x80\x80',
                               capture_output=True, check=True).stdout)
    start = sum(cpu_of(['djpeg', '-outfile', '/dev/null', one]) for _ in range(50)) / 50
    t0 = time.time()
    cpu = sum(cpu_of(['djpeg', '-outfile', '/dev/null', f]) for f in files)
    wall = time.time() - t0
    n = len(files)
    print('djpeg\t%d files\tcpu %.2f s (wall %.2f s)\t%.1f img/s/core' % (n, cpu, wall, n / cpu))
    net = max(cpu - n * start, 1e-9)
    print('djpeg-minus-startup\t%d files\tstartup %.2f ms/process\t%.1f img/s/core'
          % (n, start * 1e3, n / net))


if __name__ == '__main__':
    main()
