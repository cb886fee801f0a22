# Runtime of the Tf-KD experiments: mmkd's default runtime with the reference's seed (230 for
# python, numpy and torch; main.py). Model selection as in the reference: every epoch is
# evaluated on the test set and the best top-1 is what the paper reports (Tf-KD main.py,
# train_kd.py, data_loader.py; docs/tfkd.md G8); CheckpointHook keeps
# best_accuracy_top1_epoch_<n>.pth, the log has the last epoch too.
_base_ = ['./default_runtime.py']
randomness = dict(seed=230, deterministic=False)
