# Hooks every distillation config adds to the default runtime.
custom_hooks = [
    dict(type='DistillationEpochHook'),  # epoch-dependent stages / warm-ups
    dict(type='TeacherEvalHook'),  # teacher accuracy, measured once per run
    dict(type='StudentCheckpointHook'),  # student_last.pth / student_best.pth
]
