//! The pages' words in Simplified Chinese (the default) and English. One declaration per text,
//! so a text missing in either language does not compile.

macro_rules! words {
    ($($name:ident: $zh:expr, $en:expr;)*) => {
        /// Every fixed text of the pages, in one language.
        pub struct Words { $(pub $name: &'static str,)* }
        /// Simplified Chinese.
        pub static ZH: Words = Words { $($name: $zh,)* };
        /// English.
        pub static EN: Words = Words { $($name: $en,)* };
    };
}

words! {
    app_name: "流动献血预约", "Bloodmobile bookings";
    skip_to_content: "跳到正文", "Skip to the content";
    other_language: "English", "中文";
    footer: "献血是无偿的。如有疑问，请致电血站。", "Giving blood is unpaid. Call the blood station with any question.";
    error_title: "出错了", "Something went wrong";
    not_found_title: "找不到这个页面", "Page not found";
    not_found_text: "链接可能已过期或输入有误。", "The link may be out of date or mistyped.";
    back_home: "返回首页", "Back to the start";
    unavailable_text: "服务暂时不可用，请稍后再试。", "The service is unavailable for a moment; please try again shortly.";
    errors_heading: "请更正以下内容：", "Please correct the following:";
    optional: "（选填）", "(optional)";

    // The donor's start page.
    start_title: "预约献血车到您的社区或村", "Book the bloodmobile to your community or village";
    start_intro: "输入您所在社区或村的名称，选择日期和时段，献血车会开到您家门口。", "Type the name of your community or village, choose a day and a half-day, and the bloodmobile comes to your gate.";
    search_label: "社区或村的名称", "Name of your community or village";
    search_hint: "例如：三湾、拍马村", "For example: Sanwan, Paima";
    district_label: "区县", "District";
    all_districts: "全部区县", "All districts";
    search_button: "查找", "Search";
    results_heading: "查找结果", "Results";
    no_results: "没有找到。请换一个名称，或选择区县浏览。", "Nothing found. Try another name, or pick a district to browse.";
    community: "社区", "community";
    village: "村", "village";
    browse_heading: "按区县浏览", "Browse by district";

    // A site's days.
    site_days_heading: "可预约的日期和时段", "Days and times you can book";
    site_intro: "请选择一个时段。献血车的准确到达时间会在出发前一天通知您。", "Choose a time. We tell you when the bloodmobile arrives the day before.";
    book_this: "预约", "Book";
    window_full: "已约满", "Full";
    join_waitlist: "排队候补", "Join the waitlist";
    closed_after_cutoff: "已截止", "Closed";
    closed_outside_horizon: "尚未开放", "Not open yet";
    no_days: "近期没有可预约的时段。", "No days can be booked soon.";
    contact_heading: "联系人", "Contact";

    // The booking form.
    book_title: "填写预约信息", "Your booking";
    when_label: "时间", "When";
    where_label: "地点", "Where";
    kind_label: "献血类型", "What you give";
    name_label: "姓名", "Full name";
    phone_label: "手机号码", "Mobile phone";
    phone_hint: "我们用短信告诉您献血车的到达时间。", "We text you when the bloodmobile arrives.";
    email_label: "电子邮箱", "Email";
    birth_date_label: "出生日期", "Date of birth";
    sex_label: "性别", "Sex";
    male: "男", "male";
    female: "女", "female";
    weight_label: "体重（公斤）", "Weight (kg)";
    blood_type_label: "血型", "Blood type";
    blood_type_unknown: "不知道", "I don't know";
    history_legend: "上次献血", "Your last donation";
    history_hint: "如果您以前献过血，请填写最近一次的日期和类型。", "If you have given blood before, give the date and kind of the last time.";
    last_date_label: "上次献血日期", "Date of the last donation";
    last_kind_label: "上次献血类型", "Kind of the last donation";
    adverse_label: "以前献血时有过不良反应（如晕厥）", "I had a reaction at an earlier donation (such as fainting)";
    vaccination_legend: "新冠疫苗", "COVID-19 vaccine";
    vaccination_date_label: "最近一次接种日期", "Date of the last dose";
    vaccine_label: "疫苗类型", "Type of vaccine";
    vaccine_none: "未接种", "none";
    vaccine_inactivated: "灭活疫苗", "inactivated";
    vaccine_recombinant: "重组蛋白疫苗", "recombinant";
    vaccine_other: "其他类型", "other";
    submit_booking: "确认预约", "Book now";
    ineligible_heading: "这次还不能献血", "You cannot give blood on this day";
    ineligible_from: "最早可献血日期：", "You may give blood from:";
    ineligible_never: "按现行规定不能献血。", "The rules do not allow a donation.";
    rule_code: "规则代码", "Rule";
    full_heading: "这个时段已约满", "This time is full";
    full_text: "您可以选择下面有空位的时段，或排队候补：有人取消时，我们按顺序为您预约。", "Choose one of the times below that still have room, or join the waitlist: when someone cancels, the seat goes to the first person waiting.";
    alternatives_heading: "其他可选时段", "Other times with room";
    seats_left_label: "剩余名额", "seats left";
    waitlist_button: "加入候补", "Join the waitlist";
    waitlisted_title: "已加入候补", "You are on the waitlist";
    waitlisted_text: "有人取消时，我们会按顺序为您预约，并发短信通知您。您的排位：", "When someone cancels, we book the seat for the first person waiting and text you. Your place:";

    // The confirmation.
    booked_title: "预约成功", "You are booked";
    reference_label: "预约号", "Reference";
    manage_text: "请保存下面的链接，用它查看、改期或取消预约。请不要转发给他人。", "Keep the link below: it lets you view, move or cancel the booking. Do not share it.";
    manage_link: "管理我的预约", "Manage my booking";
    booked_notice: "我们已发送确认短信。出发前一天会告诉您献血车的到达时间。", "We have sent you a confirmation. The day before, we tell you when the bloodmobile arrives.";
    before_you_come: "献血前：吃清淡的早餐，睡好觉，带上身份证。", "Before you come: eat a light meal, sleep well, bring your ID card.";

    // The manage page.
    manage_title: "我的预约", "My booking";
    status_label: "状态", "Status";
    status_confirmed: "已确认", "confirmed";
    status_cancelled: "已取消", "cancelled";
    arrival_label: "献血车到达时间", "Bloodmobile at your gate";
    arrival_pending: "到达时间还没有确定，出发前一天会通知您。", "Not fixed yet: we tell you the day before.";
    arrival_hint: "请在这段时间内到献血车献血。", "Come to the bloodmobile any time within it.";
    booked_window_label: "预约时段", "Booked time";
    reschedule_heading: "改期", "Move the booking";
    new_time_label: "新的时段", "New time";
    reschedule_button: "改到这个时段", "Move to this time";
    no_other_times: "没有其他可选的时段。", "No other time has room.";
    cancel_heading: "取消预约", "Cancel the booking";
    cancel_button: "取消预约", "Cancel the booking";
    cancel_confirm_title: "确定要取消吗？", "Cancel this booking?";
    cancel_confirm_text: "取消后名额会让给其他献血者。您以后可以重新预约。", "The seat goes to another donor. You can book again later.";
    cancel_confirm_button: "是的，取消", "Yes, cancel it";
    keep_button: "不取消，返回", "No, keep it";
    done_rescheduled: "已改期。", "The booking has moved.";
    done_cancelled: "预约已取消。", "The booking is cancelled.";
    outcome_label: "结果", "Outcome";
    too_late: "离开始时间太近，已不能改期或取消。请致电血站。", "It is too close to the start to move or cancel; please call the blood station.";

    // The console.
    console_title: "调度台", "Dispatch console";
    sign_in_title: "调度员登录", "Dispatcher sign-in";
    username_label: "用户名", "Username";
    password_label: "密码", "Password";
    sign_in_button: "登录", "Sign in";
    sign_out_button: "退出", "Sign out";
    signed_in_as: "已登录：", "Signed in:";
    wrong_password: "用户名或密码不对。", "The username or password is wrong.";
    sign_in_wait: "登录失败次数过多。请等待以下秒数后再试：", "Too many failed sign-ins for this account. Seconds to wait before the next try:";
    stations_heading: "血站", "Stations";
    choose_day: "选择日期", "Choose a day";
    open_day: "打开", "Open";
    day_label: "日期", "Day";
    sites_link: "社区和村", "Communities and villages";
    vehicles_link: "采血车", "Bloodmobiles";
    notices_link: "通知", "Notices";
    no_plan: "这一天还没有计划。", "This day has no plan yet.";
    plan_button: "生成计划", "Plan the day";
    replan_button: "重新规划", "Plan again";
    seconds_label: "计算时间（秒）", "Search time (s)";
    version_label: "版本", "Version";
    draft: "草稿", "draft";
    published: "已发布", "published";
    totals_heading: "概况", "Summary";
    bookings_label: "预约", "Bookings";
    served_label: "已安排", "Served";
    left_out_label: "未安排", "Left out";
    vehicles_used_label: "出车", "Bloodmobiles out";
    stops_label: "站点", "Stops";
    drive_label: "行车", "Driving";
    blood_types_label: "血型", "Blood types";
    donors_label: "献血者", "Donors";
    map_heading: "路线图", "Route map";
    map_description: "每条路线一种颜色和线型；站点按顺序编号，方块是血站。", "One colour and line style per route; stops numbered in order; the square is the station.";
    depot_label: "血站", "Station";
    route_label: "路线", "Route";
    depart_label: "出发", "Leaves";
    return_label: "返回", "Back";
    processing_label: "血液送达时间", "Blood back within";
    order_label: "顺序", "No.";
    site_label: "站点", "Stop";
    arrive_label: "到达", "Arrives";
    start_label: "开始", "Starts";
    end_label: "结束", "Ends";
    locked_label: "已锁定", "locked";
    below_minimum_label: "人数不足", "few donors";
    could_join: "可并入", "could join stop";
    left_out_heading: "未能安排的预约", "Bookings left out";
    reason_label: "原因", "Reason";
    actions_heading: "调整", "Change the plan";
    move_legend: "移动站点", "Move a stop";
    stop_label: "站点", "Stop";
    vehicle_label: "采血车", "Bloodmobile";
    position_label: "位置（第几站）", "Position (1 = first)";
    move_button: "移动", "Move";
    lock_legend: "锁定站点", "Lock a stop";
    lock_button: "锁定", "Lock";
    unlock_button: "解锁", "Unlock";
    vehicle_out_legend: "采血车停用（故障）", "Take a bloodmobile out (breakdown)";
    vehicle_out_button: "停用并重新规划", "Take out and re-plan";
    reoptimise_legend: "优化其余路线", "Re-optimise the rest";
    reoptimise_button: "优化", "Re-optimise";
    publish_button: "发布…", "Publish…";
    publish_title: "发布计划", "Publish the plan";
    publish_text: "发布后，每位献血者都会收到到达时间的通知。", "When published, every donor on it is told when the bloodmobile comes.";
    publish_first: "将首次告知到达时间：", "Told their window for the first time:";
    publish_moved: "时间变动超过阈值，将再次通知：", "Window moved beyond the threshold, told again:";
    publish_dropped: "不再安排，将通知：", "No longer served, told:";
    publish_confirm: "确认发布", "Publish now";
    back_to_day: "返回", "Back";
    run_sheet: "派车单", "Run sheet";
    print_button: "打印", "Print";
    done_planned: "已生成新的计划版本。", "A new version of the plan is ready.";
    done_changed: "已调整，生成了新的版本。", "Changed: a new version of the plan is ready.";
    done_published: "已发布，献血者将收到通知。", "Published: donors are being told.";
    infeasible_heading: "这个调整不可行", "That change is not possible";
    donor_label: "献血者", "Donor";
    contact_label: "联系人", "Site contact";
    kinds_label: "采集类型", "Collects";
    beds_label: "床位", "Beds";
    per_day_label: "每日最多", "Donors per day";
    shift_label: "班次", "Shift";
    active_label: "在用", "In use";
    yes: "是", "yes";
    no: "否", "no";
    edit_link: "修改", "Edit";
    add_site: "新增社区或村", "Add a community or village";
    add_vehicle: "新增采血车", "Add a bloodmobile";
    save_button: "保存", "Save";
    saved: "已保存。", "Saved.";
    kind_field_label: "类型", "Kind";
    township_label: "街道或乡镇", "Street office or township";
    address_label: "地址", "Address";
    lat_label: "纬度", "Latitude";
    lon_label: "经度", "Longitude";
    contact_name_label: "联系人姓名", "Contact name";
    contact_phone_label: "联系人电话", "Contact phone";
    plate_label: "车牌", "Plate";
    shift_start_label: "班次开始", "Shift starts";
    shift_end_label: "班次结束", "Shift ends";
    notices_title: "发送失败的通知", "Notices that failed";
    queue_label: "待发送", "Waiting";
    oldest_due_label: "最早待发", "Oldest due";
    kind_column: "类型", "Kind";
    channel_label: "渠道", "Channel";
    attempts_label: "尝试次数", "Attempts";
    error_label: "错误", "Error";
    resend_button: "重新发送", "Send again";
    no_failed: "没有发送失败的通知。", "No notice has failed.";
    resent: "已重新排队发送。", "Queued to be sent again.";
    csrf_failed: "表单已过期，请重新提交。", "The form has expired; please send it again.";

    // What a refused booking or change says.
    err_after_cutoff: "这个时段的预约已经截止。", "Booking for this time has closed.";
    err_outside_horizon: "这一天现在还不能预约。", "This day cannot be booked now.";
    err_too_late: "离开始时间太近，已不能改期或取消。请致电血站。", "It is too close to the start to move or cancel; please call the blood station.";
    err_kind_not_offered: "这里的献血车不采集这种成分。", "No bloodmobile here collects this kind.";
    err_already_booked: "这个手机号已经有一个有效的预约。如要换时间，请用预约短信里的链接改期。", "This phone number already has a booking. To change the time, use the link in your confirmation.";
    err_already_waiting: "这个手机号已经在这一天的候补名单上。", "This phone number is already on a waitlist for that day.";
    err_seats_available: "这个时段还有空位，请直接预约。", "This time still has room: book it instead.";
    err_form_reused: "这张表已经提交过。请重新打开预约页面再填写。", "This form was already sent. Open the booking page again to start afresh.";
    err_cancelled: "这个预约已经取消。", "This booking is cancelled.";
    err_wrong_link: "这个链接不对或已失效。", "This link is wrong or no longer valid.";
    err_check_field: "请检查这一项。", "Please check this.";
    err_required: "请填写这一项。", "Please fill this in.";
    err_phone: "请填写11位手机号码，例如 13800138000。", "Give a mobile number, e.g. 13800138000.";
    err_email: "请填写正确的电子邮箱，或留空。", "Give a valid email address, or leave it empty.";
    err_date: "请按“年-月-日”填写一个过去的日期。", "Give a past date as year-month-day.";
    err_number: "请填写一个数字。", "Give a number.";
    err_weight: "请填写20到300之间的体重（公斤）。", "Give a weight between 20 and 300 kg.";
    err_name: "请填写姓名（不超过50个字）。", "Give your name (at most 50 characters).";
    err_under_18: "这次献血的日期早于您满18岁的日子。", "That donation is dated before your 18th birthday.";
    err_volume: "这个献血量不在可选范围内。", "That volume is not one we collect.";
}
