"""The main job: teacher -> baseline student -> distilled student on the digits, end to end.

Every step is an ordinary mmkd command (``tools/train.py`` / ``tools/test.py`` with the configs
in ``configs/digits/``), run as a subprocess exactly as a user would type it:

1. train the teacher ``resnet20`` (``configs/digits/resnet20_digits.py``);
2. train the student ``resnet8`` alone, the baseline (``configs/digits/resnet8_digits.py``);
3. distil ``resnet8`` from the teacher with KD (``configs/digits/kd_resnet20_resnet8_digits.py``);
4. evaluate the three with ``tools/test.py``; the distilled student is evaluated from its
   student-only checkpoint with the plain student config.
"""
import argparse
import os.path as osp
import re
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: lines of the tools' output shown while they run (one per validated epoch, and the teacher's)
PROGRESS = re.compile(r'Epoch\(val\) \[(\d+)\]\[\d+/\d+\]\s+accuracy/top1: ([0-9.]+)'
                      r'|Teacher \(measured once\)')


def run(cmd: list, log_path: str) -> str:
    """Run a command from the repo root, tee its output into ``log_path``, return the output;
    show each epoch's validation top-1 as it comes."""
    print('$ ' + ' '.join(cmd), flush=True)
    start = time.time()
    proc = subprocess.Popen(
        [sys.executable] + cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1)
    lines = []
    with open(log_path, 'w') as f:
        for line in proc.stdout:
            f.write(line)
            lines.append(line)
            match = PROGRESS.search(line)
            if match and match.group(1):
                print(
                    f'  epoch {match.group(1)}: val top-1 {float(match.group(2)):.2f} '
                    f'({time.time() - start:.0f} s)',
                    flush=True)
    proc.wait()
    output = ''.join(lines)
    if proc.returncode != 0:
        print(output[-4000:])
        sys.exit(f'failed (exit {proc.returncode}): {" ".join(cmd)}; full log: {log_path}')
    print(f'  done in {time.time() - start:.0f} s (log: {osp.relpath(log_path, ROOT)})', flush=True)
    return output


def top1(output: str) -> float:
    found = re.findall(r'^accuracy/top1: ([0-9.]+)$', output, flags=re.M)
    if not found:
        sys.exit('tools/test.py printed no accuracy/top1')
    return float(found[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--epochs',
        type=int,
        default=None,
        help='override the number of epochs (default: the configs\' 10)')
    parser.add_argument('--work-dir', default='work_dirs/digits')
    parser.add_argument(
        '--seed', type=int, default=0, help='randomness.seed of every run (README\'s table: 0)')
    args = parser.parse_args()
    extra = ['--cfg-options', f'randomness.seed={args.seed}']
    if args.epochs:
        extra.append(f'train_cfg.max_epochs={args.epochs}')
    wd = args.work_dir
    import os
    os.makedirs(osp.join(ROOT, wd), exist_ok=True)
    log = lambda name: osp.join(ROOT, wd, f'{name}.log')  # noqa: E731
    teacher_dir, student_dir, kd_dir = (f'{wd}/resnet20_digits', f'{wd}/resnet8_digits',
                                        f'{wd}/kd_resnet20_resnet8_digits')

    job_start = time.time()
    print('== 1/3 teacher: resnet20')
    run(['tools/train.py', 'configs/digits/resnet20_digits.py', '--work-dir', teacher_dir] + extra,
        log('train_teacher'))
    teacher_ckpt = open(osp.join(ROOT, teacher_dir, 'last_checkpoint')).read().strip()
    print('== 2/3 baseline student: resnet8 alone')
    run(['tools/train.py', 'configs/digits/resnet8_digits.py', '--work-dir', student_dir] + extra,
        log('train_student'))
    student_ckpt = open(osp.join(ROOT, student_dir, 'last_checkpoint')).read().strip()
    print('== 3/3 distilled student: resnet8 <- resnet20 with KD')
    kd_extra = extra + [f'model.teacher_ckpt={teacher_ckpt}']
    run(['tools/train.py', 'configs/digits/kd_resnet20_resnet8_digits.py', '--work-dir', kd_dir] +
        kd_extra, log('train_kd'))

    print('== evaluation with tools/test.py (last epoch of each run)')
    acc_t = top1(
        run([
            'tools/test.py', 'configs/digits/resnet20_digits.py', teacher_ckpt, '--work-dir',
            f'{teacher_dir}/test'
        ], log('test_teacher')))
    acc_s = top1(
        run([
            'tools/test.py', 'configs/digits/resnet8_digits.py', student_ckpt, '--work-dir',
            f'{student_dir}/test'
        ], log('test_student')))
    acc_kd = top1(
        run([
            'tools/test.py', 'configs/digits/resnet8_digits.py',
            osp.join(kd_dir, 'student_last.pth'), '--work-dir', f'{kd_dir}/test'
        ], log('test_kd')))
    print()
    print('Digits test set (360 images), top-1 %')
    print(f'{"model":<36}{"top-1":>8}')
    print(f'{"teacher  resnet20":<36}{acc_t:>8.2f}')
    print(f'{"student  resnet8 (alone)":<36}{acc_s:>8.2f}')
    print(f'{"student  resnet8 (KD from resnet20)":<36}{acc_kd:>8.2f}')
    print(f'(seed {args.seed}; the whole job took {(time.time() - job_start) / 60:.1f} min)')


if __name__ == '__main__':
    main()
